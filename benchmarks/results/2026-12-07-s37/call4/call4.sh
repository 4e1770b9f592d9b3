#!/usr/bin/env bash
# Session 37 call4: item 137's whole GPU check (JUnit GPU tests, flashmoe_smoke, fused_test, gemm_tile_test,
# ep_layer_test, memcheck / racecheck / synccheck) and one traced Qwen3 T = 1 forward.
# The bundle (/tmp/bundle-s37-combfull in session 37), from the repository root:
#   git checkout next/combine-by-tiles
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=480, command="CALL_SECONDS=470 bash benchmarks/results/2026-12-07-s37/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
trace qwen3-30b-a3b 1
check
cp $r/trace-* $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call4-traces.tar.gz t-* 2>/dev/null)
echo "== done ($(left) s left)"
