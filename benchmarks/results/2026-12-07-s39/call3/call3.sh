#!/usr/bin/env bash
# Session 39 call3: item 144 (one-token launches run their GEMM0 tasks before the slot assignment is out;
# FLASHMOE_DISABLE_EARLY_GEMM0=1 turns it off): its A/B against itself with the setting off (= main's behaviour, item
# 114's prefetch included), traced Qwen3 T = 1 forwards on and off, its whole GPU check (JUnit GPU tests,
# flashmoe_smoke, fused_test with the early-gemm0 cases and the T = 1 withheld-task case, gemm_tile_test,
# ep_layer_test, memcheck / racecheck / synccheck), then issue 4's Qwen3 and paper sweeps where time is left.
# Bundle: branch next/early-gemm0's full bundle (BUNDLE_NATIVE_CHECK=1; its MANIFEST names the commit).
# Predicted (docs/perf-notes.md item 144): Qwen3 T = 1 -10 to -17 %, paper T = 1 -10 to -15 %, gpt-oss-120b and
# Qwen3-235B T = 1 (their GEMM0 tasks fit in the processors: 180 / 192 of 263) a gain of the same kind, Mixtral T = 1
# (448 GEMM0 tasks: not taken) and Qwen3 T = 2 (not taken) within +-0.5 %.
# run(carry=[".bundle"], timeout_s=590, command="CALL_SECONDS=580 bash benchmarks/results/2026-12-07-s39/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s39e ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-125} )) "qwen3-30b-a3b 1,2" "paper 1" "gpt-oss-120b 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- on=bundle "off=bundle,FLASHMOE_DISABLE_EARLY_GEMM0=1"
trace_lib on bundle qwen3-30b-a3b 1
trace_lib off bundle qwen3-30b-a3b 1 FLASHMOE_DISABLE_EARLY_GEMM0=1
(cd $w && tar czf $OUT/call3a.tar.gz r t-* 2>/dev/null)
check ${CHECK_STEPS:-}
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
grep -vE "^\[#" $r/sweeps.txt 2>/dev/null | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call3.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
