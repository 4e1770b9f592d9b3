#!/usr/bin/env bash
# Session 26 call2: item 109 (the OS block's GEMM0 queue entries written by every row tile's team, not by each group's
# first tile's): fused_test (the queue's entries and every case bitwise against the fp64 reference / each other), then
# the A/B head (ad82404) / new, 3 rounds, at the points whose first GEMM0 waited for that push (Mixtral T = 1024,
# paper T = 4096, Qwen3 T = 1024) and at decode (one task per tile: unchanged); then, one round, the launch settings
# measured on the H200 (item 62) again on this H100 with new: 2 and 8 GEMM tasks per processor, the token-major
# dispatch forced on (FLASHMOE_TOKEN_DISPATCH=2) where x fits the L2.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s26-shapes/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
timeout 150 bash -c "LD_LIBRARY_PATH=$n $n/fused_test" > $r/fused_test.txt 2>&1; echo "== fused_test exit $? ($(left) s left)"
grep -cE "FAIL" $r/fused_test.txt; tail -3 $r/fused_test.txt
cp $r/fused_test.txt $OUT/
head=$n/ab/head
ab s26a 3 200 "qwen3-30b-a3b 1,8,256,1024,4096" "paper 1,4096" "mixtral-8x7b 1024" -- head=$head new=bundle
ab s26b 1 10 "qwen3-30b-a3b 4096,16384" "paper 4096,16384" "mixtral-8x7b 1024,8192" -- new=bundle \
  tpp2=bundle,FLASHMOE_TASKS_PER_PROCESSOR=2 tpp8=bundle,FLASHMOE_TASKS_PER_PROCESSOR=8 \
  td2=bundle,FLASHMOE_TOKEN_DISPATCH=2
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
