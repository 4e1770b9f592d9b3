#!/usr/bin/env bash
# Session 20, call3. Tree: 55ad48a (item 91 merged: threshold 512). Bundle: tools/gpu-bundle.sh of it (no A/B library).
# Issue 4's preset sweeps on the H100 with both ceilings measured in the same run (the benchmark jar's own copy and
# cuBLAS matmul), then the other real shapes (Qwen3-235B-A22B, DeepSeek-V3) at T = 1 and 1024, as far as time goes.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
sweep qwen3-235b-a22b 1,1024
sweep deepseek-v3 1,1024
grep -vE "^\[#" $r/sweeps.txt; cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
