#!/usr/bin/env bash
# Session 29 call1: the GPU check of branch next/prefetch-hold 7e48ec4 (main 5346c1b + item 116's A/B setting, off by
# default): the full bundle (bash tools/gpu-bundle.sh). Drafted in session 28 as next/next-check.sh, the GPU check of main
# after item 114: session 28 ran fused_test on item 114's library, not the JUnit GPU tests, the sanitizers, or
# fused_test's two decode-prefetch cases moved inside the rule at <= 8 routes.
# run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s29-check/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
check tests native sanitizer
echo "== done ($(left) s left)"
