#!/usr/bin/env bash
# Session 22, call5. .bundle/diag.tar.xz: the diagnostic gemm_tile_test (patches/cluster-pairs-diag.patch, final form).
# ncu of one launch each at the probe's timing shape (bf16 gated 8192 x 4096 x 2048, 4 pieces per CTA): the paired
# tile, then the share-B kernel in modes 0 (release.cluster arrivals), 4 (release.cta), 5 (lockstep alone,
# release.cta), 1 (lockstep alone, release.cluster). Speed of light, warp states (stall reasons), memory workload.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
tar -xJf .bundle/diag.tar.xz -C $w
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
timeout 300 env LD_LIBRARY_PATH=$w/diag "$ncu" --clock-control none -k regex:"wgmma_tile_kernel|shared_pair_kernel" \
  --section SpeedOfLight --section WarpStateStats --section MemoryWorkloadAnalysis --section Occupancy \
  --metrics sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active,lts__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__m_xbar2l1tex_read_bytes.sum \
  --csv --page details $w/diag/gemm_tile_test --mcast-ncu > $OUT/ncu.csv 2> $OUT/ncu.err
echo "ncu exit $?"; tail -3 $OUT/ncu.err
python3 - $OUT/ncu.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0] if rows else []
try:
    ki = head.index("ID"); ni = head.index("Metric Name"); vi = head.index("Metric Value"); ui = head.index("Metric Unit")
except ValueError:
    print("unexpected csv"); sys.exit(0)
keep = ("Duration", "Compute (SM) Throughput", "Memory Throughput", "L2 Cache Throughput", "DRAM Throughput",
        "sm__pipe_tensor_op_gmma", "lts__throughput", "l1tex__m_xbar2l1tex", "Warp Cycles Per Issued Instruction",
        "Achieved Occupancy")
for r in rows[1:]:
    if any(r[ni].startswith(k) for k in keep) or "Stall" in r[ni]:
        print(r[ki], r[ni], r[vi], r[ui])
PY
