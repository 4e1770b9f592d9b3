#!/usr/bin/env bash
# DRAFT for the next session's second device call (not run): the A/B of main against the candidate, and the candidate
# with swap-AB off. Router column: items 66-69 (cand vs main); forward column: items 70-74 (cand vs main), 71 (+74) alone
# (cand vs noswap); items 72-73 alone in call3.sh.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
r=$w/r; mkdir -p $r
OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh \
  "qwen3-30b-a3b 1,8,64,256,1024,16384" "paper 1,4096" "mixtral-8x7b 1,1024" -- \
  main=$n/ab/main cand=bundle noswap=bundle,FLASHMOE_DISABLE_SWAP_AB=1 > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab.txt; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
ls -la $OUT
