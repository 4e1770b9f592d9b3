#!/usr/bin/env bash
# For the next device session (written in session 23, not run). Where item 98's two-warpgroup kernel loses 18 % at
# Qwen3 T = 16384 (and 13 % at paper T = 16384): one traced forward each of the default kernel and of the
# two-warpgroup kernel (FLASHMOE_COOP_MIN_ROUTES=0): the dispatch phase, the GEMM0 / GEMM1 / COMBINE task medians and
# the COMBINE tail, to compare with the reading in perf-notes item 98 (the memory-bound phases on half the threads).
# Bundle: main's (tools/gpu-bundle.sh). Run: run(carry=[".bundle"], command="CALL_SECONDS=300 bash
# benchmarks/results/2026-12-06-s23-tile/next/traces-coop.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for variant in one coop; do
  for spec in "qwen3-30b-a3b 16384" "paper 16384"; do
    set -- $spec
    [ $(left) -gt 40 ] || break
    coop=2147483647; [ $variant = coop ] && coop=0
    FLASHMOE_COOP_MIN_ROUTES=$coop timeout $(( $(left) - 15 < 100 ? $(left) - 15 : 100 )) $b/jre/bin/java \
      -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 \
      --matmul-tflops 750 --preset $1 --tokens $2 --trace --iters 20 --out $w/t-$variant-$1-$2 \
      > $r/trace-$variant-$1-$2.txt 2>&1
    echo "== $variant $1 T=$2: exit $?"
    grep -vE "^\[#" $r/trace-$variant-$1-$2.txt | grep -iE "phases|span|median|busy|gemm|combine|dispatch" | head -20
  done
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
