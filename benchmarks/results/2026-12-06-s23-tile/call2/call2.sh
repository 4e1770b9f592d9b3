#!/usr/bin/env bash
# Session 23 call2 (perf-notes item 97): the large tiles with and without their epilogue's stores. Bundle: main's
# (tools/gpu-bundle.sh at 8d5fdb2) plus this session's gemm_tile_test (`--tile-mainloop`, `--tile-ncu` with the
# store-less launches) carried as .bundle-probe/gemm_tile_test.xz. ~60 s of device time.
set -uo pipefail
source .bundle/call-env.sh
xz -dc .bundle-probe/gemm_tile_test.xz > $w/gemm_tile_test && chmod +x $w/gemm_tile_test
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
nat $w/gemm_tile_test --tile-mainloop > $OUT/mainloop.txt 2>&1; echo "mainloop exit $?"; cat $OUT/mainloop.txt
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
filter='regex:wgmma_tile_kernel|coop_tile_kernel'
nat timeout 150 "$ncu" --clock-control none -k "$filter" --section SpeedOfLight --section MemoryWorkloadAnalysis \
  --metrics "regex:^(smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio|lts__throughput\.avg\.pct_of_peak_sustained_elapsed|sm__pipe_tensor_cycles_active\.avg\.pct_of_peak_sustained_elapsed|lts__t_bytes\.sum|dram__bytes_read\.sum)$" \
  --csv --page raw $w/gemm_tile_test --tile-ncu > $OUT/tiles-raw.txt 2> $OUT/tiles-raw.err
echo "raw exit $?"
for k in 3 4; do
  nat timeout 90 "$ncu" --clock-control none -k "$filter" --launch-skip $k --launch-count 1 \
    --section SourceCounters --section WarpStateStats --page source --print-source sass --csv \
    $w/gemm_tile_test --tile-ncu > $OUT/source-$k.csv 2> $OUT/source-$k.err
  echo "source $k exit $?"
done
gzip $OUT/source-*.csv
