#!/usr/bin/env bash
# Session 36, call 3: where a decode GEMM task's input wait goes (perf-notes item 130) and the lost ncu numbers of
# call 1 (only its evict-last csv came back: the files over the count limit were left out).
# 1. Traces with item 130's stamps (the stamps2 library: -DFLASHMOE_TASK_STAMPS, the input wait split into the weight
#    boxes' issue, a relaxed poll until the inputs are there, and acquire_inputs' fence), read by tools/task-stamps.py.
#    Predicted: if the fence (MEMBAR.ALL.GPU) waits for the thread's weight boxes in flight, GEMM0's fence ~3-6 us and
#    its poll ~0; if the inputs are late, the poll holds it.
# 2. ncu DRAM bytes and L2 read hits/misses of one Qwen3 T = 1 forward, item 88's prefetch on (1) and off (0).
# The bundle: main's bench-only bundle with the stamps2 library as native/ab/stamps2 (see the s36 README).
# run(carry=[".bundle"], timeout_s=300, command="CALL_SECONDS=290 bash benchmarks/results/2026-12-07-s36/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
python3 tools/native-jar-with.py $b/lib/flashmoe-native.jar $(ab_lib stamps2)/libflashmoe.so $w/stamps2.jar
main_java=("${bench_java[@]}")
bench_java=("${bench_java[@]/$b\/lib\/flashmoe-native.jar/$w/stamps2.jar}")
for point in "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "qwen3-30b-a3b 8"; do
  set -- $point
  trace $1 $2
  python3 tools/task-stamps.py $w/t-$1-$2/trace-T$2.json | tee $r/stamps-$1-$2.txt
done
bench_java=("${main_java[@]}")
cp tools/ncu-evidence.sh .bundle/ncu-evidence.sh
export NCU_EXTRA_METRICS=lts__t_sectors_op_read_lookup_hit.sum,lts__t_sectors_op_read_lookup_miss.sum
for v in 1 0; do
  [ $(left) -gt 60 ] || { echo "== ncu prefetch $v skipped ($(left) s left)"; continue; }
  mkdir -p $w/ncu-$v
  FLASHMOE_GEMM1_L2_PREFETCH=$v OUT=$w/ncu-$v NCU_PRESET=qwen3-30b-a3b NCU_TOKENS=1 bash .bundle/ncu-evidence.sh \
    > $w/ncu-$v/log.txt 2>&1
  echo "== ncu qwen3-30b-a3b T=1 FLASHMOE_GEMM1_L2_PREFETCH=$v: exit $?"
  python3 - $w/ncu-$v/ncu-T1.csv <<'PY'
import csv, sys
rows = list(csv.reader(l for l in open(sys.argv[1]) if l.startswith('"')))
for r in rows[1:]:
    d = dict(zip(rows[0], r))
    if d["Metric Name"].startswith(("dram__bytes", "gpu__time", "lts__t_sectors", "lts__t_bytes")):
        print("  ", d["Metric Name"], d["Metric Unit"], d["Metric Value"])
PY
done
(cd $w && tar czf $OUT/call3.tar.gz t-* ncu-* 2>/dev/null); cp $r/stamps-* $OUT/ 2>/dev/null
echo "== done ($(left) s left)"
