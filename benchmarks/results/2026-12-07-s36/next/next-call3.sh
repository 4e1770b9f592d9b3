#!/usr/bin/env bash
# Drafted in session 36, not run. If next-call2 keeps item 136 (items 134 + 136 faster than item 134 alone): the GPU
# check of items 134 + 136 together, as next-call.sh's of item 134 (the JUnit GPU tests, flashmoe_smoke, fused_test,
# gemm_tile_test, ep_layer_test, memcheck / racecheck / synccheck), then one traced Qwen3 T = 1 forward.
# The bundle, on main:
#   git checkout -q -b tmp/i136 main && git apply benchmarks/results/2026-12-07-s36/item-134.patch
#   git apply benchmarks/results/2026-12-07-s36/item-136.patch
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
#   git checkout -f main && git branch -D tmp/i136      # .bundle (ignored) stays
# run(carry=[".bundle"], timeout_s=480, command="CALL_SECONDS=470 bash benchmarks/results/2026-12-07-s36/next/next-call3.sh")
# The same steps as next-call.sh (only the bundle differs):
exec bash benchmarks/results/2026-12-07-s36/next/next-call.sh
