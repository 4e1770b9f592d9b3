#!/usr/bin/env bash
# Session 26 call3: item 110 (GEMM tasks of at most floor(pieces / chosen) pieces: no task a piece longer than the
# rest) with the tasks per processor at 4 (the default) and 8, against main ad82404 (head) with the same two; issue
# 4's table, 2 rounds; then other shapes, head / even, 1 round; then the native GPU check of this tree.
# Bundle: bench-only, its library = ad82404 + item 110 (even), with fused_test and flashmoe_smoke added to its
# native.tar.xz by hand; A/B lib head = ad82404.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s26-shapes/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
head=$n/ab/head
ab s26c 2 150 "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" -- \
  head=$head even=bundle head8=$head,FLASHMOE_TASKS_PER_PROCESSOR=8 even8=bundle,FLASHMOE_TASKS_PER_PROCESSOR=8
ab s26d 1 90 "gpt-oss-120b 1024,4096" "qwen3-235b-a22b 1024,4096" "dbrx 1024" "deepseek-v3 1024" -- head=$head even=bundle
# The GPU check of this tree's native side (the JUnit GPU tests do not travel in a bench-only bundle; the Java path
# calls the same library): fused_test, flashmoe_smoke, fused_test --quick under the three sanitizers.
nat timeout 150 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
nat timeout 95 $n/flashmoe_smoke > $r/smoke.txt 2>&1; echo "flashmoe_smoke exit $? ($(left) s left)"; tail -1 $r/smoke.txt
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
for tool in memcheck racecheck synccheck; do
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 20 < 120 ? $(left) - 20 : 120 )) $san --tool $tool --error-exitcode 86 \
    $n/fused_test --quick --timeout-ms 60000 > $r/sanitizer-$tool.txt 2>&1
  echo "fused_test --quick under $tool: exit $? ($(left) s left); $(grep -E '(ERROR|RACECHECK) SUMMARY' $r/sanitizer-$tool.txt | tail -1)"
done
cp $r/fused_test.txt $r/smoke.txt $OUT/ 2>/dev/null  # the sanitizer logs in all.tar.gz (the tool returns 8 files)
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
