#!/usr/bin/env bash
# DRAFT (sessions 14-15; not run): call2, after call1's check passed, on the BENCH-ONLY bundle (/work/bundle-s14-bench-*:
# BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/tmp/ab with main, g0 = next/gemm0-k-parts, simp = next/simplify-decode, ms5 =
# ab/s14-ms5; the bundle's own library is next/compact-rows-2's: items 79-83). Copy it to the checkout's .bundle in place of call1's.
# 1. Item 82 where it should pay (mid and large T): new (gather) against its FLASHMOE_DISABLE_GATHER_A=1 and
#    FLASHMOE_DISABLE_GATHER_A_FENCE=1 (the proxy fence's cost, a diagnostic) and main. 2. Items 79-80 and 74's cap at
#    decode with the branches' own libraries.
set -uo pipefail
source .bundle/call-env.sh
mkdir -p $r/large $r/decode
echo "== bench-ab large T ($(left) s left)"
OUT=$r/large ROUNDS=2 BENCH_TIMEOUT=90 timeout 330 bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024,4096,16384" \
  "paper 16384" "mixtral-8x7b 1024" -- main=$n/ab/main new=bundle nogather=bundle,FLASHMOE_DISABLE_GATHER_A=1 \
  nofence=bundle,FLASHMOE_DISABLE_GATHER_A_FENCE=1 compact=bundle,FLASHMOE_COMPACT_ROWS=1 > $r/bench-large.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-large.txt
echo "== bench-ab decode ($(left) s left)"
lim=$(( $(left) - 15 ))
OUT=$r/decode ROUNDS=2 BENCH_TIMEOUT=60 timeout $lim bash tools/run-bench-ab.sh "paper 1" "qwen3-30b-a3b 1,8" \
  "qwen3-235b-a22b 1" "mixtral-8x7b 1" -- main=$n/ab/main g0=$n/ab/g0 simp=$n/ab/simp ms5=$n/ab/ms5 new=bundle \
  p1=bundle,FLASHMOE_GEMM0_K_PARTS=1 > $r/bench-decode.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-decode.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
