#!/usr/bin/env bash
# Session 24 call1: session 23's next/handoff-probe.sh then next/traces-coop.sh, in one call (bench-only bundle of
# 2e3034a, which has gemm_tile_test and the benchmark jar). Run: run(carry=[".bundle"], command="bash
# benchmarks/results/2026-12-06-s24-coop/call1/call1.sh")
set -uo pipefail
s=benchmarks/results/2026-12-06-s23-tile/next
echo "== handoff probe"; CALL_SECONDS=110 bash $s/handoff-probe.sh
echo "== traces"; CALL_SECONDS=290 bash $s/traces-coop.sh
