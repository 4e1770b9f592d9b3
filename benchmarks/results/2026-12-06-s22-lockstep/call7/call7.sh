#!/usr/bin/env bash
# Session 22, call7. Bundle (BUNDLE_BENCH_ONLY=1): main f4f43db + item 96 (queue_gemm0_direct: the OS block's
# threads write the launch's GEMM0 queue entries as contiguous runs, not a thread per group leader); native/ab/base =
# main f4f43db's libflashmoe.so. A/B base / new, two rounds, at the decode and mid points where the direct GEMM0 push
# sits on the critical path (Qwen3 T = 1, 8, 64, paper T = 1, Mixtral T = 1) and at Qwen3 T = 1024, 4096 (neutral
# expected).
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab push 2 10 "qwen3-30b-a3b 1,8,64,1024,4096" "paper 1,1024" "mixtral-8x7b 1" -- base=$n/ab/base new=bundle
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
