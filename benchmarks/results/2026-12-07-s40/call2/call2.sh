#!/usr/bin/env bash
# Session 40, call2: item 149 (branch next/early-chain2 f01eb8d = call1's ac441dd (items 145 fixed, 146, 147) + item
# 149: the early rows' routes without __fns, the kernel 21288 -> 19032 instructions, main's 18648) against main b379388,
# 3 rounds at Qwen3 T = 1 / 2 / 4, paper T = 1, gpt-oss-120b T = 1, Mixtral T = 1 (call1: the branch lost
# +5 % at Qwen3 T = 4 with the early path off, and +9 % at gpt-oss-120b T = 1); then the native side of the GPU check
# on the branch's library. Bundle: as call1's, from the branch (BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1,
# BUNDLE_AB_LIBS with main's library).
# run(carry=[".bundle"], timeout_s=345, command="CALL_SECONDS=330 bash benchmarks/results/2026-12-07-s40/call2/call2.sh")
# (Cut to the session's last ~500 s of device time: fewer points than drafted.)
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s40b 3 $(( $(left) - ${AB_SECONDS:-115} )) "qwen3-30b-a3b 1,2,4" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- \
  p149=bundle "main=$(ab_lib main)"
(cd $w && tar czf $OUT/call2-a.tar.gz r 2>/dev/null)
check native sanitizer
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== done ($(left) s left)"
