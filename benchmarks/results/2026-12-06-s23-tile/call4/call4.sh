#!/usr/bin/env bash
# Session 23 call4 (perf-notes item 98): the GPU check of this tree's library with every fused launch on the
# two-warpgroup kernel (FLASHMOE_COOP_MIN_ROUTES=0: decode launches too, whose paired tasks are none and whose other
# tasks run on warpgroup 0 alone). Bundle: tools/gpu-bundle.sh on the session's tree (item 98 uncommitted, on 8d5fdb2).
set -uo pipefail
source .bundle/call-env.sh
export FLASHMOE_COOP_MIN_ROUTES=0
check all
tail -30 $OUT/check/summary.txt
