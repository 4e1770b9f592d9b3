#!/usr/bin/env bash
# Session 31 call5 (drafted, not run; for the next session, in place of call4 when one start is all it gets): on
# call4's bundle and tree (see call4.sh: main + item-118.patch with FLASHMOE_DIAG_COMBINE_WARM's default at 2, A/B
# libraries LIBS3/head and LIBS3/w1):
#   1. item 118's A/B head / w1 / w2 (~95 s on an H200), the decision;
#   2. the native GPU check with sanitizers (~230 s), which a merge of w1 or w2 needs;
#   3. item 121's screen: FLASHMOE_TASKS_PER_PROCESSOR 4 (the default) against 2 on main's library (head), at the
#      launches with few row tiles a processor (perf-notes item 121), 2 rounds.
# Each step runs only if the seconds left allow it.
# run(carry=[".bundle"], timeout_s=580, command="CALL_SECONDS=570 bash benchmarks/results/2026-12-06-s31-combine/call5.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s31d 2 5 "qwen3-30b-a3b 1,16" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- head=$(ab_lib head) w1=$(ab_lib w1) \
  w2=bundle
[ $(left) -gt 330 ] && CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 160 )) check native sanitizer  # leaves ~160 s for 3.
tail -8 $OUT/check/summary.txt 2>/dev/null
grep -E "FAIL" $OUT/check/native.log 2>/dev/null | head -20
[ $(left) -gt 60 ] && ab s31e 2 5 "mixtral-8x7b 512,1024,2048" "mixtral-8x22b 1024" "phi-3.5-moe 1024" "llama4-scout 1024" \
  "dbrx 512" "gpt-oss-20b 512" -- tpp4=$(ab_lib head) tpp2=$(ab_lib head),FLASHMOE_TASKS_PER_PROCESSOR=2
echo "== done ($(left) s left)"
