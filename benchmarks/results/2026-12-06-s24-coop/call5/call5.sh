#!/usr/bin/env bash
# Session 24 call5: the GPU check of the tree to be merged (full bundle, tools/gpu-bundle.sh): JUnit GPU tests, the
# native tests, the sanitizers (call-env.sh `check`), then fused_test with every launch on the two-warpgroup kernel
# (FLASHMOE_COOP_MIN_ROUTES=0) and synccheck of fused_test --quick on it (its barriers are the named ones still); then
# issue 4's Qwen3 sweep with measured ceilings, as far as the time goes.
# The bundle: tools/gpu-bundle.sh of 6889cfa's tree, native.tar.xz repacked without gemm_tile_test and launch_floor (the
# carry limit; this change does not touch the tiles), and lib/flashmoe-native.jar re-zipped stored and packed with
# xz -9e as native-jar.tar.xz (14.3 -> 10.8 MB), unpacked below. Run: run(carry=[".bundle"], command="CALL_SECONDS=580 bash benchmarks/results/2026-12-06-s24-coop/call5/call5.sh")
set -uo pipefail
[ -f .bundle/lib/flashmoe-native.jar ] || tar -xJf .bundle/native-jar.tar.xz -C .bundle
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 110 )) check tests native sanitizer > /dev/null 2>&1
cat $OUT/check/summary.txt
echo "== fused_test, coop forced ($(left) s left)"
FLASHMOE_COOP_MIN_ROUTES=0 nat timeout 50 $n/fused_test > $OUT/fused-coop.txt 2>&1; echo "exit $?"
grep -cE " ok|PASS" $OUT/fused-coop.txt; grep -E "FAIL" $OUT/fused-coop.txt | head -5; tail -2 $OUT/fused-coop.txt
l=$(left); [ $l -gt 15 ] && FLASHMOE_COOP_MIN_ROUTES=0 nat timeout $(( l - 8 < 45 ? l - 8 : 45 )) "$san" --tool synccheck \
  --error-exitcode 86 $n/fused_test --quick --timeout-ms 60000 > $OUT/san-synccheck-coop.txt 2>&1
echo "synccheck (coop) exit $?: $(grep -E 'ERROR SUMMARY' $OUT/san-synccheck-coop.txt | tail -1)"
# Issue 4's Qwen3 points on the merged tree (item 101 changes Qwen3's GEMM1 split only), as far as the time goes.
[ $(left) -gt 100 ] && sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384 && grep -vE "^\[#" $r/sweeps.txt | tail -14
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null)
echo "== done ($(left) s left)"
