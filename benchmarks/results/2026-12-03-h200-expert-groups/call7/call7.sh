#!/usr/bin/env bash
# call7 (2026-12-03, session 3): the review of items 31-32 (epilogues take the tile's rows from GemmTaskSetup, GEMM1's
# epilogue stores all of a piece's 64-column blocks in one call, a shared group-size helper, fused_test's Fixture):
# native tests (fused_test's groups and wide-gemm1 cases among them), then an A/B against 25d00d0 (prev), 1 round.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
echo "== native"; mkdir -p $w/out; OUT=$w/out NATIVE_TIMEOUT=120 bash $b/run-gpu-check.sh native > $w/check.txt 2>&1
echo "native exit $?"; tail -2 $w/out/summary.txt; cp $w/out/summary.txt $w/out/native.log $OUT/; grep -E "^(groups|wide-gemm1)|FAIL" $w/out/native.log | head -24
echo "== A/B"; ROUNDS=1 timeout 60 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,16384 prev=$n/ab/prev new=$n > $OUT/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $OUT/ab.txt
