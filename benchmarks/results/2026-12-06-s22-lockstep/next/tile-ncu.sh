#!/usr/bin/env bash
# For the next device session (not run in session 22; written after its device time was spent). Bundle: main's
# (tools/gpu-bundle.sh). What stalls the paired tile (431-437 TFLOP/s on the H100) and item 30's one-block-per-SM
# prototype 128 x 256 (450-458) against cuBLAS's ~750: ncu speed of light, memory workload, warp stall reasons and the
# SASS source page (stall samples per instruction) of one launch each (gemm_tile_test --tile-ncu: paired tile, coop
# 128x256 wait1, coop 128x256 wait2). Perf-notes item 95's reading says bytes in flight; this is the evidence for the
# design of Next steps 1 (producer warp, ring depth, epilogue overlap). ~60 s of device time.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
filter='regex:wgmma_tile_kernel|coop_tile_kernel'
nat timeout 150 "$ncu" --clock-control none -k "$filter" --section SpeedOfLight --section MemoryWorkloadAnalysis \
  --section Occupancy \
  --metrics "regex:^(smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio|lts__throughput\.avg\.pct_of_peak_sustained_elapsed)$" \
  --csv --page raw $n/gemm_tile_test --tile-ncu > $OUT/tiles-raw.csv 2> $OUT/tiles-raw.err
echo "raw exit $?"
for k in 0 1 2; do
  nat timeout 120 "$ncu" --clock-control none -k "$filter" --launch-skip $k --launch-count 1 \
    --section SourceCounters --section WarpStateStats --page source --print-source sass --csv \
    $n/gemm_tile_test --tile-ncu > $OUT/source-$k.csv 2> $OUT/source-$k.err
  echo "source $k exit $?"
done
gzip $OUT/source-*.csv
