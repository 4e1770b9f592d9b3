#!/usr/bin/env bash
# The session's second last-call (copied into the results README): check, A/B, trace, Qwen3 sweep, sanitizer.
cd "$(dirname "$0")/.."
GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=180 BENCH_TIMEOUT=60 bash .bundle/run-gpu-check.sh tests native bench > /tmp/check.out 2>&1
tail -8 "$OUT/summary.txt"; grep -hE "FAIL" "$OUT/native.log" "$OUT/gpu-tests.log" | head -5
(cd "$OUT" && tar -czf check-logs.tar.gz gpu-tests.log native.log bench.log junit-reports.tar.gz && rm -f gpu-tests.log native.log bench.log junit-reports.tar.gz)
PRESETS=qwen3-30b-a3b bash tools/run-perf-check.sh ab trace presets
mkdir -p /tmp/san && OUT=/tmp/san SANITIZER_TIMEOUT=60 bash .bundle/run-gpu-check.sh sanitizer > /tmp/san.out 2>&1
grep -E "sanitizer|under|overall" /tmp/san/summary.txt; cp /tmp/san/summary.txt "$OUT/sanitizer-summary.txt"
