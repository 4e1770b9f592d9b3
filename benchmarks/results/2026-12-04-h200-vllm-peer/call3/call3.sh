#!/usr/bin/env bash
# call3 (2026-12-04, session 7): DIAGNOSTIC: where a decode GEMM task's time goes. A library built from d4d15b1 plus
# call3/task-stamps.patch with -DFLASHMOE_TASK_STAMPS=10 (sm_90a only; thread 0's clock64 at points of each task of
# launch 10, printed at the processor's exit): gemm_tile_test's Qwen3 sweep at T = 1, 8, 1024, and the stock library
# at the same T for the stamps' overhead.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"; r=$w/r; mkdir -p $r
for t in 1 8 1024; do
  LD_LIBRARY_PATH=$b/diag timeout 60 $n/gemm_tile_test --sweep-only --fused-only --tokens $t > $r/stamps-T$t.txt 2>&1
  echo "T=$t diag exit $?: $(grep -c '^stamp' $r/stamps-T$t.txt) stamp lines; $(grep '^sweep' $r/stamps-T$t.txt)"
  LD_LIBRARY_PATH=$n timeout 60 $n/gemm_tile_test --sweep-only --fused-only --tokens $t > $r/stock-T$t.txt 2>&1
  echo "T=$t stock: $(grep '^sweep' $r/stock-T$t.txt)"
done
cp $r/stamps-T1.txt $r/stamps-T8.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
