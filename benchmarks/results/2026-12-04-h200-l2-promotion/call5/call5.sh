#!/usr/bin/env bash
# call5 (2026-12-04): item 39, the processors' hot words (dispatch_next, task_next, tasks_published) each on its own
# 128-byte line of ControlBlock. Full GPU check; Qwen3 A/B base (cc1a381's library) / new, 2 rounds; traces of Qwen3
# T = 256 and 1024 with the new library (dispatch ends vs GEMM0 starts, as call4).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=2 timeout 150 bash $b/run-ab.sh $n/gemm_tile_test 1,64,256,1024,4096,16384 base=$n/ab/base new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 256 1024; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt
  python3 - "$w/t-$t/trace-T$t.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
de = sorted(e['ts'] + e['dur'] for e in ev if e.get('name') == 'DISPATCH')
g0 = sorted(e['ts'] for e in ev if e.get('name') == 'GEMM0')
print('  dispatch ends %.1f .. %.1f us; GEMM0 starts: first %.1f, 10th %.1f, 100th %s' % (de[0], de[-1], g0[0], g0[min(9, len(g0) - 1)], '%.1f' % g0[99] if len(g0) > 99 else '-'))
PY
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
