#!/usr/bin/env bash
# call5 (session 16), bench-only bundle: items 79 and 82 switched off (their switches), to separate items 80 and 83.
# s80 = next/simplify-decode's library with GEMM0 K parts off (item 80 alone on main's code); nc = the stack's library with
# 79 and 82 off (80 + 83's code, compact rows off); c83 = the same with compact rows on.
set -uo pipefail
source .bundle/call-env.sh
mkdir -p $r/sep
echo "== bench-ab ($(left) s left)"
OUT=$r/sep ROUNDS=2 BENCH_TIMEOUT=60 timeout $(( $(left) - 15 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,1024,4096,16384" \
  "paper 1,16384" "mixtral-8x7b 1024" -- main=$n/ab/main s80=$n/ab/simp,FLASHMOE_GEMM0_K_PARTS=1 \
  nc=bundle,FLASHMOE_DISABLE_GATHER_A=1,FLASHMOE_GEMM0_K_PARTS=1 \
  c83=bundle,FLASHMOE_DISABLE_GATHER_A=1,FLASHMOE_GEMM0_K_PARTS=1,FLASHMOE_COMPACT_ROWS=1 > $r/bench-sep.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-sep.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
