#!/usr/bin/env bash
# Drafted in session 38, not run: the whole GPU check of item 140 alone (its A/B: calls 1-2; with item 142 merged,
# rebuild it on that main first) (JUnit GPU tests, flashmoe_smoke, fused_test with its routing
# cases: capacity drops, bad ids and weights, the withheld-task timeouts; gemm_tile_test, ep_layer_test, memcheck /
# racecheck / synccheck) and one traced Qwen3 T = 1 forward; session 37's call5 steps on this bundle.
# The bundle (/tmp/bundle-s38-i140full in session 38), from the repository root on main bec5ba5 or later:
#   git checkout -q -b tmp/i140 && git apply benchmarks/results/2026-12-07-s37/item-140.patch && git commit -qam i140
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=420, command="CALL_SECONDS=410 bash benchmarks/results/2026-12-07-s38/next/next-call3.sh")
# The steps are session 37's call5 (one traced Qwen3 T = 1 forward, then `check`), on this bundle.
exec bash benchmarks/results/2026-12-07-s37/call5/call5.sh
