#!/usr/bin/env bash
# Drafted in session 28, not run (no device time left): the GPU check of main after item 114. Session 28 ran fused_test
# on item 114's library (the rule then at <= 32 routes; the SASS is unchanged by the rule's move to 8), not the JUnit GPU
# tests, the sanitizers, or fused_test's two decode-prefetch cases moved inside the rule at <= 8 routes.
# Bundle: the full bundle of main (bash tools/gpu-bundle.sh). Run first, before next-call.sh:
# run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s28-table/next/next-check.sh")
# (copy it into the new session's results folder as its callN.sh first, and record what ran there).
set -uo pipefail
source .bundle/call-env.sh
gpu_line
check tests native sanitizer
echo "== done ($(left) s left)"
