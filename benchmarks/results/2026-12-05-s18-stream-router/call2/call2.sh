#!/usr/bin/env bash
# Session 18, call2. Tree: call1's + item 88 (GEMM1's weights prefetched into the L2 during GEMM0 at decode,
# FLASHMOE_GEMM1_L2_PREFETCH=1; off by default for the A/B) and the router's tiled ring depths removed again (item 87:
# no gain). Bundle: tools/gpu-bundle.sh of that tree.
# 1. the GPU check with FLASHMOE_GEMM1_L2_PREFETCH=1 for every layer the tests make (fused_test's l2-prefetch cases
#    set it themselves: off / on, bitwise);
# 2. the decode A/B off / on (same library), 3 rounds: Qwen3 T = 1, 8 (8: over the budget, must not change), paper
#    T = 1, Mixtral T = 1 (over the budget);
# 3. in-kernel traces of Qwen3 T = 1 off / on.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
echo "== check, FLASHMOE_GEMM1_L2_PREFETCH=1 ($(left) s left)"; mkdir -p $w/out
FLASHMOE_GEMM1_L2_PREFETCH=1 OUT=$w/out GPU_TESTS_TIMEOUT=120 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=90 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $w/out/*.log | head -16; grep -E "^l2-prefetch|^router .*(refused|tiled)" $w/out/*.log | head -20
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
if [ $(left) -gt 120 ]; then
  echo "== decode A/B ($(left) s left)"
  OUT=$r/decode ROUNDS=3 BENCH_TIMEOUT=40 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 70 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8" "paper 1" "mixtral-8x7b 1" -- \
    off=bundle pf=bundle,FLASHMOE_GEMM1_L2_PREFETCH=1 > $r/bench-decode.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-decode.txt
  cp $r/bench-decode.txt $OUT/
fi
cp="$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for v in 0 1; do
  [ $(left) -gt 35 ] || break
  FLASHMOE_GEMM1_L2_PREFETCH=$v timeout $(( $(left) - 15 < 45 ? $(left) - 15 : 45 )) $b/jre/bin/java \
    -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda \
    --copy-tbps 3 --matmul-tflops 750 --preset qwen3-30b-a3b --tokens 1 --trace --iters 20 --check-tokens 1 \
    --out $w/t-pf$v > $r/trace-pf$v.txt 2>&1
  echo "prefetch $v:"; grep -E "phases T=" $r/trace-pf$v.txt
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
