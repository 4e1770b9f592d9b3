#!/usr/bin/env bash
# Session 22, call6. As call5 (the same diagnostic gemm_tile_test --mcast-ncu), ncu's warp stall reasons per issued
# instruction for the paired tile and the share-B modes 0 / 4 / 5 / 1; then the SASS source page (stall samples per
# instruction) of the paired tile and of mode 0 (release.cluster arrivals): where a k-step waits.
set -uo pipefail
source .bundle/call-env.sh
tar -xJf .bundle/diag.tar.xz -C $w
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
timeout 200 env LD_LIBRARY_PATH=$w/diag "$ncu" --clock-control none -k regex:"wgmma_tile_kernel|shared_pair_kernel" \
  --metrics "regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio" \
  --csv --page raw $w/diag/gemm_tile_test --mcast-ncu > $OUT/stalls.csv 2> $OUT/stalls.err
echo "stalls exit $?"
for k in 0 1; do
  timeout 150 env LD_LIBRARY_PATH=$w/diag "$ncu" --clock-control none -k regex:"wgmma_tile_kernel|shared_pair_kernel" \
    --launch-skip $k --launch-count 1 --section SourceCounters --section WarpStateStats \
    --page source --print-source sass --csv $w/diag/gemm_tile_test --mcast-ncu > $OUT/source-$k.csv 2> $OUT/source-$k.err
  echo "source $k exit $?"; ls -la $OUT/source-$k.csv
done
