#!/usr/bin/env bash
# call6 (session 16), bench-only bundle: issue 4's points on this H100 with main's library and with item 83 alone
# (the stack's library with items 79 and 82 switched off, compact rows on), one round.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
mkdir -p $r/sweep
OUT=$r/sweep ROUNDS=1 BENCH_TIMEOUT=80 timeout $(( $(left) - 15 < 240 ? $(left) - 15 : 240 )) bash tools/run-bench-ab.sh \
  "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" \
  "qwen3-235b-a22b 1,1024" "deepseek-v3 1,1024" -- main=$n/ab/main \
  c83=bundle,FLASHMOE_DISABLE_GATHER_A=1,FLASHMOE_GEMM0_K_PARTS=1,FLASHMOE_COMPACT_ROWS=1 > $r/bench-sweep.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-sweep.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
