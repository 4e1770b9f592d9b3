#!/usr/bin/env bash
# Session 28 call3: item 114 alone (the static claims of item 113 removed: call2's b0 read Qwen3 T = 4 +2.4 % and paper
# T = 1 +1.4 % against head with both settings off, over 2 rounds), the A/B that call2's timeout cut: head / p0
# (FLASHMOE_DECODE_PREFETCH_STEPS=0) / p4 / p8 (the default), 2 rounds, at the points the rule takes (p12, Qwen3
# T = 8 with the rule off, and a third round dropped after four refused starts); fused_test first, fused_test --quick
# under memcheck last if 60 s are left.
# Bundle: bench-only with BUNDLE_NATIVE_CHECK=1 (library and fused_test of branch next/static-claims, item 114 only);
# A/B lib head (main 380d46d's device code, sm_90a).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=200 bash benchmarks/results/2026-12-06-s28-table/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
fused_check 100 "FAIL|decode-prefetch.*="
ab s28e 2 15 "qwen3-30b-a3b 1,4" "paper 1" "mixtral-8x7b 1" "gpt-oss-120b 1" -- head=$n/ab/head \
  p0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0 p4=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=4 p8=bundle
[ $(left) -gt 60 ] || { echo "== memcheck skipped ($(left) s left)"; exit 0; }
s=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
l=$(( $(left) - 8 ))
nat timeout $(( l > 10 ? l : 10 )) $s --tool memcheck --error-exitcode 86 $n/fused_test --quick --timeout-ms 60000 \
  > $r/memcheck.txt 2>&1
echo "fused_test --quick under memcheck: exit $? ($(left) s left)"; grep -E "ERROR SUMMARY|PASS|FAIL" $r/memcheck.txt | tail -3
cp $r/memcheck.txt $OUT/
echo "== done ($(left) s left)"
