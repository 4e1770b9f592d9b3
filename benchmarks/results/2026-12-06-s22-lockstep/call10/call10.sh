#!/usr/bin/env bash
# Session 22, call10. Bundle: tools/gpu-bundle.sh of main f4f43db + item 96 (second form, call9's library). The GPU
# check: JUnit GPU tests, native tests (flashmoe_smoke, fused_test with its fault injection, gemm_tile_test,
# ep_layer_test), memcheck / racecheck / synccheck.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
echo "== check ($(left) s left)"; check tests native sanitizer; echo "check exit $?"
cat $OUT/check/summary.txt 2>/dev/null | tail -20; echo "== done ($(left) s left)"
