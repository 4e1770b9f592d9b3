#!/usr/bin/env bash
# Session 23 call3 (perf-notes item 98): the library's two-warpgroup tile (WgmmaTile kWarpgroups = 2) checked against
# fp64 (gemm_tile_test's tile tests, bf16 and fp16), then timed beside the paired tile and item 30's prototype under
# three epilogues (`--tile-mainloop`), then ncu of the bf16-epilogue launches (paired, two-warpgroup). Bundle: main's
# (8d5fdb2) plus this tree's gemm_tile_test as .bundle-probe/gemm_tile_test.xz.
set -uo pipefail
source .bundle/call-env.sh
xz -dc .bundle-probe/gemm_tile_test.xz > $w/gemm_tile_test && chmod +x $w/gemm_tile_test
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
nat timeout 200 $w/gemm_tile_test > $OUT/tile-tests.txt 2>&1; echo "tile tests exit $?"
grep -E "coop|FAIL|PASS|mismatch" $OUT/tile-tests.txt | tail -30
nat timeout 120 $w/gemm_tile_test --tile-mainloop > $OUT/mainloop.txt 2>&1; echo "mainloop exit $?"; cat $OUT/mainloop.txt
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
filter='regex:wgmma_tile_kernel|coop_wgmma_tile_kernel'
nat timeout 120 "$ncu" --clock-control none -k "$filter" --launch-skip 2 --launch-count 2 --section SpeedOfLight \
  --metrics "regex:^(smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio|lts__throughput\.avg\.pct_of_peak_sustained_elapsed|sm__pipe_tensor_cycles_active\.avg\.pct_of_peak_sustained_elapsed|lts__t_bytes\.sum|dram__bytes_read\.sum|launch__registers_per_thread)$" \
  --csv --page raw $w/gemm_tile_test --tile-ncu > $OUT/tiles-raw.txt 2> $OUT/tiles-raw.err
echo "raw exit $?"
nat timeout 90 "$ncu" --clock-control none -k "$filter" --launch-skip 3 --launch-count 1 \
  --section SourceCounters --section WarpStateStats --page source --print-source sass --csv \
  $w/gemm_tile_test --tile-ncu > $OUT/source-coop.csv 2> $OUT/source-coop.err
echo "source exit $?"
gzip $OUT/source-*.csv
