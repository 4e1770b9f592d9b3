#!/usr/bin/env bash
# Drafted in session 38, not run (six starts failed; the last ~250 s were refused as too little to start one).
# Item 142's A/B against its own setting off (FLASHMOE_DISABLE_OWN_GEMM0_TICKETS=1: every ticket waits for the OS
# block's entries, main's behaviour), 3 rounds, and a traced Qwen3 T = 1 forward with it on and off. Predictions as
# next-call2.sh's (and docs/perf-notes.md item 142). If it gains, next-call2.sh (the whole GPU check) comes next.
# The bundle: /tmp/bundle-s38-i142full in session 38, or from the repository root on main (the patch beside this
# folder applies to main 1f0db72 and later, whose call-env.sh has trace_lib):
#   git checkout -q -b tmp/i142 && git apply benchmarks/results/2026-12-07-s38/item-142.patch && git commit -qam i142
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh   (then MANIFEST line 2)
# run(carry=[".bundle"], timeout_s=175, command="CALL_SECONDS=165 bash benchmarks/results/2026-12-07-s38/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s38d ${ROUNDS:-3} 35 "qwen3-30b-a3b 1,2,8,16" "paper 1" "gpt-oss-120b 1" -- \
  on=bundle "off=bundle,FLASHMOE_DISABLE_OWN_GEMM0_TICKETS=1"
trace_lib on bundle qwen3-30b-a3b 1
trace_lib off bundle qwen3-30b-a3b 1 FLASHMOE_DISABLE_OWN_GEMM0_TICKETS=1
(cd $w && tar czf $OUT/next-call.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
