#!/usr/bin/env bash
# Builds the fused-kernel test without CMake: build_fused_test.sh [out_dir]. NVCC / CUTLASS_INCLUDE may be set;
# otherwise the pinned toolchain of csrc/tools/toolchain.py (or /tmp/tc) is used.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/../build/fused}"
mkdir -p "$out"
if [[ -z "${NVCC:-}" ]]; then
    for candidate in "$(ls -d "$HOME"/.cache/flashmoe/toolchain-*/site/nvidia/cu13/bin/nvcc 2>/dev/null | head -1)" \
                     /tmp/tc/site/nvidia/cu13/bin/nvcc "$(command -v nvcc || true)"; do
        [[ -n "$candidate" && -x "$candidate" ]] && NVCC="$candidate" && break
    done
fi
flags=(-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I"$here/include" -lineinfo -Xcompiler -pthread)
pids=()
for source in fused_fp32 fused_fp16 fused_bf16 fused_layer; do
    "$NVCC" "${flags[@]}" -c "$here/src/$source.cu" -o "$out/$source.o" &
    pids+=($!)
done
"$NVCC" "${flags[@]}" -c "$here/tests/fused_test.cu" -o "$out/fused_test.o"
for pid in "${pids[@]}"; do wait "$pid"; done
"$NVCC" "${flags[@]}" "$out"/fused_fp32.o "$out"/fused_fp16.o "$out"/fused_bf16.o "$out"/fused_layer.o \
    "$out"/fused_test.o -o "$out/fused_test"
echo "built $out/fused_test"
