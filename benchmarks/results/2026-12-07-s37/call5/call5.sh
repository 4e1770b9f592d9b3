#!/usr/bin/env bash
# Session 37 call5: the whole GPU check (JUnit GPU tests, flashmoe_smoke, fused_test, gemm_tile_test, ep_layer_test,
# memcheck / racecheck / synccheck) of branch next/s37-decode = main 797994b + item 137 in launches of one token tile
# (a direct COMBINE waits for its routes' row tiles' GEMM1 counts) + item 138 (the TMA descriptors prefetched), and one
# traced Qwen3 T = 1 forward. At T <= 4 its code path is call3's `tmap` library's; elsewhere main's plus item 138.
# The bundle (/tmp/bundle-s37-decode in session 37), from the repository root (next/s37-decode was session-local;
# main cf1a55a has its csrc, SASS md5 ad3b4a56):
#   git checkout next/s37-decode
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=390, command="CALL_SECONDS=380 bash benchmarks/results/2026-12-07-s37/call5/call5.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
trace qwen3-30b-a3b 1
check
cp $r/trace-* $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call5-traces.tar.gz t-* 2>/dev/null)
echo "== done ($(left) s left)"
