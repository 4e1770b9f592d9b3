#!/usr/bin/env bash
# Session 28 call2: item 114 (decode launches of <= 32 routes: each processor prefetches the first N loads of its first
# GEMM0 task's weight boxes into the L2 while the slot assignment runs, FLASHMOE_DECODE_PREFETCH_STEPS, default 8) and
# item 113 split into its two parts (FLASHMOE_STATIC_CLAIMS bit 0 = the first dispatch claim, bit 1 = the first ticket;
# off by default after call1). fused_test; the decode A/B head / b0 (prefetch off) / dp8 / dp16 / dp32, 3 rounds;
# the claims A/B b0 / c1 / c2 / c3 where call1 moved (Qwen3 T = 8 +1.0 %, T = 4096 +1.3 %, gpt-oss-120b T = 1 -2.9 %);
# a trace of Qwen3 T = 1 with dp8; then, if time is left, the tasks-per-processor screen of session 27's drafted call
# (2026-12-06-s27-even/next/next-call.sh).
# Bundle: bench-only with BUNDLE_NATIVE_CHECK=1 (library and fused_test of branch next/static-claims); A/B lib head
# (main 380d46d's device code, sm_90a).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=480 bash benchmarks/results/2026-12-06-s28-table/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
nat timeout 110 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
grep -E "FAIL|decode-prefetch|STATIC" $r/fused_test.txt | head -16
cp $r/fused_test.txt $OUT/
head=$n/ab/head
ab s28c 3 300 "qwen3-30b-a3b 1,4" "paper 1" "mixtral-8x7b 1" "gpt-oss-120b 1" -- head=$head \
  b0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0 dp8=bundle dp16=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=16 \
  dp32=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=32
ab s28d 3 220 "qwen3-30b-a3b 8,4096" "gpt-oss-120b 1" -- b0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0 \
  c1=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0,FLASHMOE_STATIC_CLAIMS=1 \
  c2=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0,FLASHMOE_STATIC_CLAIMS=2 \
  c3=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0,FLASHMOE_STATIC_CLAIMS=3
trace qwen3-30b-a3b 1 && cp $r/trace-qwen3-30b-a3b-1.txt $OUT/
ab tpp 2 15 "mixtral-8x7b 1024,8192" "paper 4096,16384" "qwen3-30b-a3b 4096,16384" "gpt-oss-120b 4096" "dbrx 1024" \
  "llama4-scout 4096" -- tpp4=bundle tpp2=bundle,FLASHMOE_TASKS_PER_PROCESSOR=2 tpp8=bundle,FLASHMOE_TASKS_PER_PROCESSOR=8
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
