#!/usr/bin/env bash
# Session 39 call4: items 144 + 145 (one-token launches run their GEMM0 tasks before the slot assignment is out, and
# their processors make their GEMM1 tasks from their tickets; FLASHMOE_DISABLE_EARLY_GEMM0=1 turns both off): the A/B against itself with the setting off (= main's behaviour, item
# 114's prefetch included), traced Qwen3 T = 1 forwards on and off, its whole GPU check (JUnit GPU tests,
# flashmoe_smoke, fused_test with the early-gemm0 cases and the T = 1 withheld-task case, gemm_tile_test,
# ep_layer_test, memcheck / racecheck / synccheck), then issue 4's Qwen3 and paper T = 1 and Mixtral sweeps where time is left.
# Bundle: branch next/early-gemm0's full bundle (BUNDLE_NATIVE_CHECK=1; its MANIFEST names the commit).
# Predicted (docs/perf-notes.md items 144-145): against the setting off Qwen3 T = 1 -10 to -15 %, paper,
# gpt-oss-120b and Qwen3-235B T = 1 -7 to -14 % (call3, item 144 alone: -4.7 / -2.6 / -7.2 / -3.5 %); Mixtral T = 1
# (not taken, and now keeping item 114's prefetch) and Qwen3 T = 2 within +-0.5 %.
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s39/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s39f ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-125} )) "qwen3-30b-a3b 1,2" "paper 1" "gpt-oss-120b 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- on=bundle "off=bundle,FLASHMOE_DISABLE_EARLY_GEMM0=1"
trace_lib on bundle qwen3-30b-a3b 1
trace_lib off bundle qwen3-30b-a3b 1 FLASHMOE_DISABLE_EARLY_GEMM0=1
(cd $w && tar czf $OUT/call4a.tar.gz r t-* 2>/dev/null)
check ${CHECK_STEPS:-}
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
sweep qwen3-30b-a3b 1
sweep paper 1
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt 2>/dev/null | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call4.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
