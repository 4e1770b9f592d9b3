#!/usr/bin/env bash
# DRAFT for a later device call (session 12; not run): item 75 alone (FLASHMOE_COMPACT_ROWS=1: the expert rows in the
# layer's dtype) at the points whose COMBINE reads the most rows, against the candidate as it runs by default.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
r=$w/r; mkdir -p $r
OUT=$r ROUNDS=2 BENCH_TIMEOUT=90 timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh \
  "qwen3-30b-a3b 1024,4096,16384" "paper 4096" "mixtral-8x7b 1024" -- \
  cand=bundle compact=bundle,FLASHMOE_COMPACT_ROWS=1 > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab.txt; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
ls -la $OUT
