#!/usr/bin/env bash
# Session 32 call7 (right after call6, on the same warm machine when it allows): item 123 against call6's "both".
# Tree (the bundle's library) = call6's "both": main 2d9f707 + item-118.patch (FLASHMOE_DIAG_COMBINE_WARM's default at
# 2) + item-122.patch, `mvn -B -q -DskipTests install`. A/B libraries (LIBS7; csrc's CMake, target flashmoe, sm_90a,
# -DFLASHMOE_BUILD_TESTS=OFF -DFLASHMOE_WITH_NVSHMEM=OFF): head = main 2d9f707's csrc; p123 = "both" with
# rank_routing_chunk (os/routing.cuh) and dispatch_token_run (processor/tasks.cuh) __noinline__ (item 123).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=LIBS7 bash tools/gpu-bundle.sh (28 MiB).
# Steps: 1. A/B both / p123 / head at the decode points and the large-T launches that run item 123's code (the
# chunked slot assignment from 129 routes, the token-major dispatch where x outgrows the L2); 2. item 121's screen if
# call6 did not reach it (FLASHMOE_S32_SCREEN=1).
# Ran as run(carry=[".bundle"], timeout_s=420, command="CALL_SECONDS=400 bash
# benchmarks/results/2026-12-07-s32-merge/call7.sh"), FLASHMOE_S32_SCREEN unset (call6 had run the screen).
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s32a 2 5 "qwen3-30b-a3b 1,16,4096,16384" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- both=bundle \
  p123=$(ab_lib p123) head=$(ab_lib head)
[ "${FLASHMOE_S32_SCREEN:-0}" = 1 ] && [ $(left) -gt 60 ] && ab s32e 2 5 "mixtral-8x7b 512,1024,2048" \
  "mixtral-8x22b 1024" "phi-3.5-moe 1024" "llama4-scout 1024" "dbrx 512" "gpt-oss-20b 512" -- tpp4=$(ab_lib head) \
  tpp2=$(ab_lib head),FLASHMOE_TASKS_PER_PROCESSOR=2
echo "== done ($(left) s left)"
