#!/usr/bin/env bash
# Session 29 call3 (the session's last ~280 s of device time): branch next/prefetch-hold's library (items 116-117 as
# A/B settings, both off by default: p8) against main 5346c1b's sm_90a library (head) at the one-token points and
# Qwen3 T = 8 (the new KernelParams fields re-laid the kernel's SASS, which calls 1-2 did not compare with main), and
# item 117: the processors' routing poll every 256 / 1024 ns instead of 32 (FLASHMOE_ROUTING_POLL_NS).
# Bundle: the bench-only bundle of the branch (BUNDLE_BENCH_ONLY=1), BUNDLE_AB_LIBS with head.
# run(carry=[".bundle"], timeout_s=180, command="CALL_SECONDS=170 bash benchmarks/results/2026-12-06-s29-check/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s29b 2 5 "qwen3-30b-a3b 1,8" "paper 1" "gpt-oss-120b 1" "qwen3-235b-a22b 1" -- head=$(ab_lib head) p8=bundle \
  w256=bundle,FLASHMOE_ROUTING_POLL_NS=256 w1024=bundle,FLASHMOE_ROUTING_POLL_NS=1024
echo "== done ($(left) s left)"
