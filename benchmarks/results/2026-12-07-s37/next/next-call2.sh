#!/usr/bin/env bash
# Drafted in session 37, not run. The whole GPU check of items 140 + 141 (JUnit GPU tests, flashmoe_smoke, fused_test
# with its routing cases: capacity drops, bad ids and weights, the withheld-task timeouts; gemm_tile_test,
# ep_layer_test, memcheck / racecheck / synccheck) and one traced Qwen3 T = 1 forward (the slot assignment's and the
# first GEMM0 task's times against session 37 call5's 5.7 and 11.7 us). Run it if next-call.sh shows p140 or p141
# gaining.
# The bundle (/tmp/bundle-s37-i141full in session 37), from the repository root, on main e3283c6 or later:
#   git checkout -q -b tmp/i141 && git apply benchmarks/results/2026-12-07-s37/item-140.patch
#   git apply benchmarks/results/2026-12-07-s37/item-141.patch && git commit -qam i141
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
#   git checkout -q main                  # .bundle (ignored) stays
# run(carry=[".bundle"], timeout_s=420, command="CALL_SECONDS=410 bash benchmarks/results/2026-12-07-s37/next/next-call2.sh")
# The steps are call5's (one traced Qwen3 T = 1 forward, then `check`), on this bundle.
exec bash benchmarks/results/2026-12-07-s37/call5/call5.sh
