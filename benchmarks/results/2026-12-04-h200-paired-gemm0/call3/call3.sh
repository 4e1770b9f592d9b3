#!/usr/bin/env bash
# call3 (2026-12-04): item 33's tile alone (gemm_tile_test --time): the paired 128-row tile against the 64-row tile with
# 4, 3 and 2 stages, compute-bound (8192 x 4096 x 2048) and weight-streaming with two row tiles per weight box.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
LD_LIBRARY_PATH=$n timeout 300 $b/extra/gemm_tile_test --time > $OUT/tile-time.txt 2>&1; echo "exit $?"
grep -E "^time|FAIL|failure" $OUT/tile-time.txt
