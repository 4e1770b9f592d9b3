#!/usr/bin/env bash
# call7 (2026-12-03): gemm_tile_test (every tile case against fp64, item 30's prototype included) after its cases
# were folded into one helper (check_hopper_case); no timing.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
LD_LIBRARY_PATH=$n timeout 120 $n/gemm_tile_test > $OUT/tile.txt 2>&1; echo "exit $?"
grep -c " ok " $OUT/tile.txt; grep -E "^proto|FAIL|PASS" $OUT/tile.txt
