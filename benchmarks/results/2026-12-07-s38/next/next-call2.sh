#!/usr/bin/env bash
# Drafted in session 38 as call5, not run (its starts failed). Item 142 (the processors make the GEMM0
# tasks of the queue's first tickets themselves in launches of <= 64 routes; FLASHMOE_DISABLE_OWN_GEMM0_TICKETS=1 turns
# it off): its A/B against itself with the setting off (= main's behaviour: the same code, every ticket waiting for the
# OS block's entries), a traced Qwen3 T = 1 forward, then its whole GPU check (JUnit GPU tests, flashmoe_smoke,
# fused_test with the routing and withheld-task cases, which now take the new path at T = 9, and the setting's bitwise
# case; gemm_tile_test, ep_layer_test, memcheck / racecheck / synccheck).
# Predicted (call2's traces: the entries' release at ~9.8-10.2 us, the dispatch done at ~7.4-8.1, the first GEMM0 at
# 10.7-11.6): GEMM0 starts ~2-3 us earlier: Qwen3 T = 1 -3 to -6 %, paper and gpt-oss-120b T = 1 -2 to -4 %, Mixtral
# T = 1 -1 to -2 %, Qwen3 T = 2 and 8 -1 to -3 %; Qwen3 T = 16 (128 routes: not taken) within +-0.3 %.
# The bundle: next-call.sh's (/tmp/bundle-s38-i142full in session 38). ROUNDS, AB_SECONDS (the A/B's cap, 130) and
# CHECK_STEPS (all by default) shorten it where device time is short.
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s38/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s38d ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-130} )) "qwen3-30b-a3b 1,2,8,16" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- \
  on=bundle "off=bundle,FLASHMOE_DISABLE_OWN_GEMM0_TICKETS=1"
trace qwen3-30b-a3b 1
check ${CHECK_STEPS:-}
cp $r/trace-* $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call5.tar.gz r/s38d t-* 2>/dev/null)
echo "== done ($(left) s left)"
