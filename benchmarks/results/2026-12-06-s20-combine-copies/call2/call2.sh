#!/usr/bin/env bash
# Session 20, call2. Tree and bundle: call1's (the compact COMBINE as cp.async copies, threshold 64 for bf16).
# Call1 found compact rows slower at Qwen3 T = 8 (64 routes: +3.7 % against the same library with fp32 rows there)
# and faster from T = 64 (512 routes: -0.6 %). 1. Where the threshold belongs: every bf16 launch compact (c, setting
# 0) against fp32 rows (f, setting 2^31 - 1) from 8 to 2048 routes, 2 rounds. 2. ncu of the forward kernel at Qwen3
# T = 4096 and 16384 (the compute-bound points, on pairs since item 62: tensor pipe, DRAM, L2), if time is left.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab rows 2 150 "qwen3-30b-a3b 1,2,4,8,16,32,64" "paper 16,32,64,128,256,512,1024" "mixtral-8x7b 32,64,256" -- \
  c=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=0 f=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=2147483647
if [ $(left) -gt 120 ]; then
  echo "== ncu ($(left) s left)"
  OUT=$OUT NCU_TOKENS="4096 16384" timeout $(( $(left) - 10 )) bash $b/ncu-evidence.sh > $r/ncu.txt 2>&1
  echo "exit $?"; cat $r/ncu.txt; cp $r/ncu.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
