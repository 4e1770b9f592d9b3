#!/usr/bin/env bash
# DRAFT for the next session's third device call (not run): items 72-74 alone at decode (the candidate against
# itself with each switched off; item 74 against the library of tag ab/s12-no74, native/ab/no74 in the bundle),
# then item 65's rotation (--input-sets 8) on the same points.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
r=$w/r; mkdir -p $r
OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh \
  "qwen3-30b-a3b 1,8,64" "paper 1" "mixtral-8x7b 1" -- \
  cand=bundle no74=$n/ab/no74 early0=bundle,FLASHMOE_DISABLE_EARLY_WEIGHTS=1 narrow0=bundle,FLASHMOE_DISABLE_NARROW_GEMM1=1 \
  "sets8=bundle,BENCH_ARGS=--input-sets 8" > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab.txt; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
ls -la $OUT
