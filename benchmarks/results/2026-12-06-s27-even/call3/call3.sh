#!/usr/bin/env bash
# Session 27 call3: the GPU check of main with item 112 merged (the JUnit GPU tests; the JUnit sanitizer set and
# fused_test --quick under the three sanitizers; then fused_test alone, as flashmoe_smoke ran in call1, so the native
# step is left out: refused starts left ~400 s of device time), then, as the seconds left allow, issue 4's presets
# swept with both ceilings measured and an in-kernel trace of Mixtral-8x7B T = 1024 (item 112's GEMM1 tail).
# Bundle: full (tools/gpu-bundle.sh), built at d0a998c with 9dccf42's fused_test edits (its library built at c7cf04c:
# main's device code).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=290 bash benchmarks/results/2026-12-06-s27-even/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
# NOTE: the device tool returns 8 files: check's (up to 6), fused_test.txt and all.tar.gz (sweeps, trace, the rest).
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $r/nvidia-smi.txt 2>&1
head -2 $r/nvidia-smi.txt | tail -1
check tests sanitizer
echo "== check done ($(left) s left)"; tail -5 $OUT/check/summary.txt 2>/dev/null
# fused_test of this tree (its settings case: FLASHMOE_EVEN_SPLIT=0 bitwise the default's, =3 refused).
if [ $(left) -gt 90 ]; then
  nat timeout 75 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"
  tail -1 $r/fused_test.txt; grep -E "FAIL|EVEN_SPLIT" $r/fused_test.txt | head -6; cp $r/fused_test.txt $OUT/
fi
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
if [ $(left) -gt 90 ]; then
  timeout 60 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
    --copy-tbps 3 --matmul-tflops 750 --preset mixtral-8x7b --tokens 1024 --trace --iters 10 \
    --out $w/t-mixtral-1024 > $r/trace-mixtral-8x7b-1024.txt 2>&1
  echo "== trace: exit $? ($(left) s left)"; grep -E "trace T=|phases T=" $r/trace-mixtral-8x7b-1024.txt
fi
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
