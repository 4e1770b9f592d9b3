#!/usr/bin/env bash
# Session 27 call1: item 112 (even column splits only where the launch's routes fill two row tiles of every reachable
# expert, never unpairing): fused_test (its new `even-split` case and the `pairs` cases item 110 failed), the A/B on
# issue 4's table (head = main's device code; ni = item 112 as committed, its rule out of line; ni0 = ni with
# FLASHMOE_EVEN_SPLIT=0: its code, head's splits), 3 rounds; other shapes the rule
# takes or leaves, 2 rounds; then flashmoe_smoke and fused_test --quick under the three sanitizers.
# Bundle: bench-only with BUNDLE_NATIVE_CHECK=1 (its library and fused_test = ni); A/B lib head (ad82404, sm_90a, the
# device code of main 7059ab7).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s27-even/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
nat timeout 150 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
grep -E "FAIL|even-split" $r/fused_test.txt | head -12
cp $r/fused_test.txt $OUT/
head=$n/ab/head
ab s27a 3 260 "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" -- \
  head=$head ni=bundle ni0=bundle,FLASHMOE_EVEN_SPLIT=0
ab s27b 2 190 "gpt-oss-120b 1024,4096" "dbrx 1024" "qwen3-235b-a22b 4096" "llama4-scout 4096" -- \
  head=$head ni=bundle ni0=bundle,FLASHMOE_EVEN_SPLIT=0
nat timeout 95 $n/flashmoe_smoke > $r/smoke.txt 2>&1; echo "flashmoe_smoke exit $? ($(left) s left)"; tail -1 $r/smoke.txt
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
for tool in memcheck racecheck synccheck; do
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 20 < 120 ? $(left) - 20 : 120 )) $san --tool $tool --error-exitcode 86 \
    $n/fused_test --quick --timeout-ms 60000 > $r/sanitizer-$tool.txt 2>&1
  echo "fused_test --quick under $tool: exit $? ($(left) s left); $(grep -E '(ERROR|RACECHECK) SUMMARY' $r/sanitizer-$tool.txt | tail -1)"
done
cp $r/smoke.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
