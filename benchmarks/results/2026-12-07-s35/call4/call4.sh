#!/usr/bin/env bash
# Session 35 call4 (run inline, as below, on the machine call3 left warm; main 8205cf9's full bundle): call3's A/B of
# item 88's GEMM1 L2 prefetch repeated at more one-token points (Mixtral T = 1, Qwen3 T = 1 and 2, gpt-oss-120b T = 1).
# run(carry=[".bundle"], timeout_s=160, command="source .bundle/call-env.sh; CALL_SECONDS=150; ab s35l2b 3 5
#     \"mixtral-8x7b 1\" \"qwen3-30b-a3b 1,2\" \"gpt-oss-120b 1\" -- main=bundle nol2=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0;
#     echo \"== done ($(left) s left)\"")
source .bundle/call-env.sh; CALL_SECONDS=150
ab s35l2b 3 5 "mixtral-8x7b 1" "qwen3-30b-a3b 1,2" "gpt-oss-120b 1" -- main=bundle nol2=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0
echo "== done ($(left) s left)"
