#!/usr/bin/env bash
# Session 25 call8: the rest of item 108's GPU check on call7's bundle (next/token-dispatch 22415ce): the JUnit GPU
# tests, fused_test --quick under synccheck, flashmoe_smoke and ep_layer_test.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=175 bash benchmarks/results/2026-12-06-s25-barriers/call8/call8.sh")
set -uo pipefail
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
nat timeout 45 "$san" --tool synccheck --error-exitcode 86 $n/fused_test --quick --timeout-ms 60000 > $r/san-synccheck.txt 2>&1
echo "fused_test --quick under synccheck: exit $?; $(grep -E 'ERROR SUMMARY' $r/san-synccheck.txt | tail -1)"
nat timeout 20 $n/flashmoe_smoke > $r/smoke.txt 2>&1; echo "flashmoe_smoke exit $?: $(tail -1 $r/smoke.txt)"
mkdir -p $w/o; OUT=$w/o CALL_SECONDS=$(( $(left) + 0 )) check tests > /dev/null 2>&1
cat $w/o/check/summary.txt 2>/dev/null | grep -E "GPU tests|overall"
(cd $w && tar czf $OUT/all.tar.gz r o 2>/dev/null); echo "== done ($(left) s left)"
