#!/usr/bin/env bash
# Builds the fused-kernel test alone, sm_90a, with the same CMake flags as the library (build_native.py's pinned
# toolchain, its `fused_test` target only): build_fused_test.sh [build_dir] -> build_dir/fused_test. Re-running is
# incremental. For a GPU call that needs only fused_test (a light carry; benchmarks/results/2026-12-07-s43/next/).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/../build/fused}"
python3 "$here/tools/build_native.py" --build-dir "$out" --install-dir "$out/install" --archs "${FLASHMOE_CUDA_ARCHS:-90a}" \
    --target fused_test
echo "built $out/fused_test"
