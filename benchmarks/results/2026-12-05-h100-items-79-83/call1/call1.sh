#!/usr/bin/env bash
# DRAFT for the next device session (written in sessions 14-15; not run). Tree: next/compact-rows-2 (items 79-83 stacked:
# next/gemm0-k-parts -> next/simplify-decode -> next/gather-a -> next/compact-rows-2; merge main first if it moved). Build here:
#   mvn -B -q -o -DskipTests install
#   bash tools/build-ab-libs.sh /tmp/ab main=main && BUNDLE_AB_LIBS=/tmp/ab bash tools/gpu-bundle.sh
# (one A/B library only: with two or more the bundle is over the 43 MiB the 21 MiB tree leaves; the items' own
# switches stand in for their branches: FLASHMOE_GEMM0_K_PARTS=1 (item 79 off), FLASHMOE_DISABLE_GATHER_A=1 (82 off).)
# Copy .bundle into the session's checkout; cp this file .bundle/call1.sh; run(carry=[".bundle"], command="bash .bundle/call1.sh").
# 1. gemm_tile_test --gather-probe first (item 81, seconds: is cp.async as fast as the TMA box? does the fence wait for
# copies in flight?). 2. The GPU check (JUnit GPU tests; native tests with gemm0-parts and gather-a; sanitizers).
# (The check's native step runs gemm_tile_test whole since 2026-12-05: gathered tiles, the ring sequence.) 3. The ring
# sequence alone under racecheck / synccheck / memcheck.
# The A/B runs in call2 (the bench-only bundle, four A/B libraries).
set -uo pipefail
source .bundle/call-env.sh
echo "== gather probe"
timeout 60 $n/gemm_tile_test --gather-probe > $r/gather.txt 2>&1; echo "exit $?"; tail -6 $r/gather.txt
echo "== check ($(left) s left)"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=100 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $w/out/*.log | head -16; grep -E "^(gather-a|gemm0-parts|compact-rows)" $w/out/native.log | head -30
grep -E "one ring|gathered|^gemm_tile_test exit" $w/out/native.log | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
echo "== the ring sequence under the sanitizers ($(left) s left)"
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
for tool in racecheck synccheck memcheck; do
  [ $(left) -gt 70 ] || break
  timeout 60 $san --tool $tool --error-exitcode 86 $n/gemm_tile_test --ring-sequence > $r/ring-$tool.txt 2>&1
  echo "ring sequence under $tool: exit $? $(grep -E '(ERROR|RACECHECK) SUMMARY' $r/ring-$tool.txt | tail -1)"
done
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
