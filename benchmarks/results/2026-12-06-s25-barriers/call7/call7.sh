#!/usr/bin/env bash
# Session 25 call7 (item 108: token-major dispatch where x outgrows the L2; branch next/token-dispatch). Full bundle of
# that tree (its library: td, run also with FLASHMOE_TOKEN_DISPATCH=0 as td0); A/B library head = main bad9eb4's
# (csrc's CMake, sm_90a only; main's device code since). First fused_test (its token-dispatch cases: tile-major 0
# against token-major 2, bitwise) and fused_test --quick under racecheck and memcheck, then the A/B, 2 rounds.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=330 bash benchmarks/results/2026-12-06-s25-barriers/call7/call7.sh")
set -uo pipefail
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
nat timeout 100 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $?"
grep -E "token-dispatch" $r/fused_test.txt; grep -E "FAIL" $r/fused_test.txt | head -5; tail -1 $r/fused_test.txt
for tool in racecheck memcheck; do
  nat timeout 50 "$san" --tool $tool --error-exitcode 86 $n/fused_test --quick --timeout-ms 60000 > $r/san-$tool.txt 2>&1
  echo "fused_test --quick under $tool: exit $?; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $r/san-$tool.txt | tail -1)"
done
ab s25e 2 8 "qwen3-30b-a3b 1024,4096,16384" "mixtral-8x7b 8192" -- head=$n/ab/head td=bundle \
  td0=bundle,FLASHMOE_TOKEN_DISPATCH=0
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
