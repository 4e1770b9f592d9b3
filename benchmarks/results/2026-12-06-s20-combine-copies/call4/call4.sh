#!/usr/bin/env bash
# Session 20, call4. Tree and bundle: call3's (55ad48a's library). The in-kernel trace (one traced forward after 20
# timed) of Qwen3 T = 1, 1024, 4096 and the paper shape's T = 1 on the H100 after items 88-91: where the decode chain's
# time goes now (for the GEMM1-in-GEMM0 estimate, perf-notes Next steps) and the large-T phases on pairs.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for spec in "qwen3-30b-a3b 1" "paper 1" "qwen3-30b-a3b 1024" "qwen3-30b-a3b 4096"; do
  set -- $spec
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 15 < 90 ? $(left) - 15 : 90 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc \
    -cp "$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 --matmul-tflops 750 \
    --preset $1 --tokens $2 --trace --iters 20 --out $w/t-$1-$2 > $r/trace-$1-$2.txt 2>&1
  echo "== $1 T=$2: exit $?"; grep -vE "^\[#" $r/trace-$1-$2.txt | grep -iE "phases|span|median|busy|gemm|combine|wait" | head -20
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
