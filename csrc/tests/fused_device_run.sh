#!/usr/bin/env bash
# One device call: the full fused test, then compute-sanitizer tools over the quick subset. Logs under $OUT.
# Usage (repo root, on the GPU machine): csrc/tests/fused_device_run.sh [build_dir] [tools...]
set -uo pipefail
build="${1:-build/fused}"; shift || true
tools=("${@:-memcheck}")
out="${OUT:-/tmp/fused_out}"; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
"$build/fused_test" 2>&1 | tee "$out/fused_test.log"
status=${PIPESTATUS[0]}
for tool in "${tools[@]}"; do
    [[ "$tool" == none ]] && continue
    echo "== compute-sanitizer --tool $tool (quick subset)"
    timeout 200 compute-sanitizer --tool "$tool" --error-exitcode 3 "$build/fused_test" --quick --timeout-ms 60000 \
        > "$out/sanitizer_$tool.log" 2>&1
    rc=$?
    tail -n 8 "$out/sanitizer_$tool.log"
    echo "sanitizer $tool exit code $rc"
done
exit $status
