#!/usr/bin/env bash
# Session 12: Qwen3-235B-A22B T = 1024 read 1.775 ms in the merge tree's sweep (session 8's table: 1.584); DeepSeek-V3
# T = 1024 5.935 (5.757). A/B on one machine: main's library, the merge tree, and the merge tree with swap-AB
# (items 71, 74) or early weights (item 72) or narrow GEMM1 (item 73) off.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
r=$w/r; mkdir -p $r
OUT=$r ROUNDS=2 BENCH_TIMEOUT=90 timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh \
  "qwen3-235b-a22b 1024" "deepseek-v3 1024" "qwen3-30b-a3b 1024" -- \
  main=$n/ab/main merge=bundle noswap=bundle,FLASHMOE_DISABLE_SWAP_AB=1 early0=bundle,FLASHMOE_DISABLE_EARLY_WEIGHTS=1 \
  narrow0=bundle,FLASHMOE_DISABLE_NARROW_GEMM1=1 > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab.txt; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
ls -la $OUT
