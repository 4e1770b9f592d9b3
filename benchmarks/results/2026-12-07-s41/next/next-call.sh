#!/usr/bin/env bash
# Drafted in session 41, not run. The rest of main 00d2201's whole GPU check (the merged early-path branch, sm_90a md5
# 2c901cbe; perf-notes item 154): session 41's call1 ran its JUnit GPU tests and the native suite up to
# ep_layer_test, and its limit cut ep_layer_test and the sanitizers. This runs the whole check again (JUnit, native
# with ep_layer_test, memcheck / racecheck / synccheck).
# Bundle: a full bundle of main (mvn -B -q -o -DskipTests install, then bash tools/gpu-bundle.sh; MANIFEST line 2 by
# hand). Prebuilt in session 41 as /tmp/bundle-s41-main (from next/early-chain4 cb68700, whose csrc/, Java and tests
# are main 00d2201's; md5 2c901cbe).
# run(carry=[".bundle"], timeout_s=560, command="CALL_SECONDS=545 bash benchmarks/results/2026-12-07-s41/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== done ($(left) s left)"
