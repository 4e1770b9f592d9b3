#!/usr/bin/env bash
# Session 28 call1: item 113 (each processor's first dispatch claim and first queue ticket are its own index, no
# contended atomic on the path to the first GEMM0: `sc`): fused_test, then the A/B head / sc on issue 4's table, 3
# rounds; the decode points 3 more rounds; a trace of Qwen3 T = 1 (where the first GEMM0 task starts).
# Bundle: bench-only with BUNDLE_NATIVE_CHECK=1 (its library and fused_test = sc, branch next/static-claims); A/B lib
# head (main 380d46d's device code, sm_90a, csrc's CMake target flashmoe).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=570 bash benchmarks/results/2026-12-06-s28-table/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
nat timeout 110 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
grep -E "FAIL" $r/fused_test.txt | head -12
cp $r/fused_test.txt $OUT/
head=$n/ab/head
ab s28a 3 220 "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" -- \
  head=$head sc=bundle
ab s28b 3 130 "qwen3-30b-a3b 1,8,64" "paper 1" "mixtral-8x7b 1" "gpt-oss-120b 1" -- head=$head sc=bundle
trace qwen3-30b-a3b 1 && cp $r/trace-qwen3-30b-a3b-1.txt $OUT/
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
