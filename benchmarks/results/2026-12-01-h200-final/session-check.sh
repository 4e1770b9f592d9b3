#!/usr/bin/env bash
# This session's last device call (copied into the results README): check, A/B, trace, presets, sanitizer, ncu.
cd "$(dirname "$0")/.."
GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=180 BENCH_TIMEOUT=60 bash .bundle/run-gpu-check.sh tests native bench > /tmp/check.out 2>&1
tail -8 "$OUT/summary.txt"; grep -hE "FAIL" "$OUT/native.log" "$OUT/gpu-tests.log" | head -5
(cd "$OUT" && tar -czf check-logs.tar.gz gpu-tests.log native.log bench.log junit-reports.tar.gz && rm -f gpu-tests.log native.log bench.log junit-reports.tar.gz)
bash tools/run-perf-check.sh ab trace presets
mkdir -p /tmp/san && OUT=/tmp/san SANITIZER_TIMEOUT=60 bash .bundle/run-gpu-check.sh sanitizer > /tmp/san.out 2>&1
grep -E "sanitizer|overall" /tmp/san/summary.txt; cp /tmp/san/summary.txt "$OUT/sanitizer-summary.txt"
mkdir -p /tmp/ncu && OUT=/tmp/ncu timeout 130 bash .bundle/ncu-evidence.sh
tar -czf "$OUT/logs2.tar.gz" -C /tmp san ncu
