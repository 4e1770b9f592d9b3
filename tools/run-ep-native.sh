#!/usr/bin/env bash
# Expert-parallel checks and benchmarks on the GPU machine (C-level: no Java needed). Writes logs under $OUT.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/ep-out}"; mkdir -p "$out"
export LD_LIBRARY_PATH="$here" NVSHMEM_DISABLE_NVLS=1 FLASHMOE_EP_REQUIRED=1
export FLASHMOE_NVSHMEM_LIB_DIR="$(python3 -c 'import nvidia.nvshmem as m; print(list(m.__path__)[0])')/lib"
gpus=$(nvidia-smi -L | wc -l)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/nvidia-smi.txt"; nvidia-smi topo -m >> "$out/nvidia-smi.txt" 2>&1
cat "$out/nvidia-smi.txt"
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x LD_LIBRARY_PATH -x NVSHMEM_DISABLE_NVLS -x FLASHMOE_EP_REQUIRED -x FLASHMOE_NVSHMEM_LIB_DIR)
benches=(--bench bf16,2048,2048,64,2,16384,20 --bench fp32,2048,2048,64,2,16384,10 --bench bf16,2048,2048,128,2,16384,20
         --bench bf16,2048,768,128,8,128,50 --bench bf16,2048,768,128,8,1024,50 --bench bf16,2048,768,128,8,4096,30)
if [ "$gpus" -ge 2 ]; then
  for P in 2 4 8; do
    [ "$P" -le "$gpus" ] || continue
    echo "== checks P=$P"
    rm -f /tmp/flashmoe-uid
    timeout 240 "${mpi[@]}" -np $P "$here/ep_layer_test" --uid-file /tmp/flashmoe-uid ${QUICK:+--quick} > "$out/check-P$P.log" 2>&1; echo "checks P=$P rc=$?" | tee -a "$out/summary.txt"
    grep -E "FAIL|failures|withheld" "$out/check-P$P.log" | head -20
    echo "== bench P=$P"
    rm -f /tmp/flashmoe-uid
    timeout 240 "${mpi[@]}" -np $P "$here/ep_layer_test" --uid-file /tmp/flashmoe-uid "${benches[@]}" > "$out/bench-P$P.log" 2>&1; echo "bench P=$P rc=$?" | tee -a "$out/summary.txt"
    grep -E "BENCH|FAIL" "$out/bench-P$P.log"
  done
fi
echo "== bench P=1 (NVSHMEM path, own rank as peer)"
timeout 200 "$here/ep_layer_test" "${benches[@]}" > "$out/bench-P1.log" 2>&1; echo "bench P=1 rc=$?" | tee -a "$out/summary.txt"
grep -E "BENCH|FAIL" "$out/bench-P1.log"
