#!/usr/bin/env bash
# Session 34 call3: the whole GPU check of main 8205cf9 (items 124-125 merged): JUnit GPU tests, native tests,
# sanitizers, from a full bundle (`mvn -B -q -o -DskipTests install && bash tools/gpu-bundle.sh`, 34 MiB).
# run(carry=[".bundle"], timeout_s=490, command="CALL_SECONDS=480 bash benchmarks/results/2026-12-07-s34/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
check
tail -16 $OUT/check/summary.txt 2>/dev/null
grep -E "FAIL|GEMM task" $OUT/check/native.log 2>/dev/null | head -20
echo "== done ($(left) s left)"
