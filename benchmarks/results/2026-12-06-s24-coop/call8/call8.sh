#!/usr/bin/env bash
# Session 24 call8: the new bundle format on the device (tools/gpu-bundle.sh: lib/flashmoe-native.jar re-zipped stored
# and carried inside jre.tar.xz, 40.5 -> 36.9 MB): from a fresh copy, the GPU check's JUnit GPU tests and the C smoke
# test, which need the jar unpacked (run-gpu-check.sh, call-env.sh / unpack-native.sh).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=240 bash benchmarks/results/2026-12-06-s24-coop/call8/call8.sh")
set -uo pipefail
source .bundle/call-env.sh
ls .bundle/lib
nat timeout 60 $n/flashmoe_smoke > $OUT/smoke.txt 2>&1; echo "flashmoe_smoke exit $?"; tail -2 $OUT/smoke.txt
GPU_TESTS_TIMEOUT=150 OUT=$OUT/check bash .bundle/run-gpu-check.sh tests > /dev/null 2>&1
grep -E "GPU tests|overall" $OUT/check/summary.txt
echo "== done ($(left) s left)"
