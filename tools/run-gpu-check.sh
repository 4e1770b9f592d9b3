#!/usr/bin/env bash
# The GPU check, run on the GPU machine from the repository root: bash .bundle/run-gpu-check.sh [STEP...]
# STEP: tests | native | sanitizer | bench | all (default). Needs no Java there: .bundle/jre is a jlink'd JRE (it
# travels as jre.tar.xz with lib/flashmoe-native.jar, unpacked on first use).
# Writes under $OUT (the device tool's folder; ./gpu-check-out elsewhere), at most 8 files, no subfolders:
#   nvidia-smi.txt, gpu-tests.log, native.log, sanitizer.log, native-sanitizer.log (memcheck, racecheck, synccheck),
#   bench.log,
#   junit-reports.tar.gz (JUnit XML), summary.txt
# Timeouts (seconds, env): GPU_TESTS_TIMEOUT=330 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=150 BENCH_TIMEOUT=90;
# FLASHMOE_BENCH_ARGS overrides
# the benchmark's arguments (default: --backend cuda). `--smoke` is for gpu-bundle.sh on a machine without a GPU.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$out"
work="$(mktemp -d /tmp/flashmoe-gpu-check.XXXXXX)"
[ -x "$here/jre/bin/java" ] && [ -f "$here/lib/flashmoe-native.jar" ] || tar -xJf "$here/jre.tar.xz" -C "$here"  # the JRE and the native jar travel packed (gpu-bundle.sh)
java="$here/jre/bin/java"
lib="$here/lib"
# The C-level test binaries travel packed (they are most of the bundle's bytes); unpacked here into the work folder.
native_dir="$here/native"
if [ -f "$here/native.tar.xz" ]; then
  native_dir="$(bash "$here/unpack-native.sh" "$here" "$work")"
fi
cp="$lib/flashmoe-tests.jar:$lib/flashmoe-api.jar:$lib/flashmoe-native.jar:$lib/javacpp.jar"
jvm=(-Dorg.bytedeco.javacpp.cachedir="$work/javacpp-cache" -XX:+UseParallelGC)
summary="$out/summary.txt"
status=0

# Expert parallelism: libflashmoe_ep.so needs NVSHMEM's host library; the GPU machine has it in python's site-packages.
if [ -z "${FLASHMOE_NVSHMEM_LIB_DIR:-}" ]; then
  nvshmem_dir="$(python3 -c 'import nvidia.nvshmem as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
  [ -n "$nvshmem_dir" ] && [ -f "$nvshmem_dir/lib/libnvshmem_host.so.3" ] && export FLASHMOE_NVSHMEM_LIB_DIR="$nvshmem_dir/lib"
fi
export NVSHMEM_DISABLE_NVLS="${NVSHMEM_DISABLE_NVLS:-1}"

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
smoke=0
[ "${steps[0]}" = "--smoke" ] && smoke=1
want() { local s; for s in "${steps[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done; return 1; }
note() { echo "$*" | tee -a "$summary"; }

# the console launcher with our classpath; "${console[@]}" then the selection and report arguments
console_for() {
  console=("$java" "${jvm[@]}" "$@" -jar "$lib/junit-platform-console-standalone.jar" execute --class-path "$cp"
           --include-engine junit-jupiter --details tree --disable-banner --disable-ansi-colors)
}
tally() { grep -E '^\[ +[0-9]+ (tests (successful|failed|skipped|aborted)|containers failed) +\]' "$1" | tr -s ' ' | tr '\n' ' '; }

: > "$summary"
note "flashmoe GPU check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
[ -f "$here/MANIFEST.txt" ] && head -2 "$here/MANIFEST.txt" | tee -a "$summary"

if [ "$smoke" = 1 ]; then
  console_for
  "${console[@]}" --select-package dev.flashmoe.tests.gpu --reports-dir "$work/reports" > "$out/smoke.log" 2>&1
  rc=$?
  grep -E '^\[gpu-tests\]' "$out/smoke.log" | head -4
  echo "smoke: console launcher exit $rc; $(tally "$out/smoke.log")"
  if [ $rc -ne 0 ] || ! grep -q 'CudaBackendStatusTest' "$out/smoke.log"; then
    cat "$out/smoke.log"; echo "smoke test FAILED" >&2; exit 1
  fi
  rm -rf "$work"
  exit 0
fi

"$java" -version 2>&1 | head -1 | tee -a "$summary"
{ nvidia-smi; echo; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; } \
  > "$out/nvidia-smi.txt" 2>&1 || note "nvidia-smi failed (see nvidia-smi.txt)"
cat "$out/nvidia-smi.txt"

if want tests; then
  note "== GPU tests (dev.flashmoe.tests.gpu, flashmoe.gpu.required=true)"
  console_for -Dflashmoe.gpu.required=true
  start=$(date +%s)
  timeout --kill-after=10 "${GPU_TESTS_TIMEOUT:-330}" "${console[@]}" --select-package dev.flashmoe.tests.gpu \
    --reports-dir "$work/reports/gpu-tests" 2>&1 | tee "$out/gpu-tests.log"
  rc=${PIPESTATUS[0]}
  note "GPU tests: exit $rc in $(( $(date +%s) - start )) s; $(tally "$out/gpu-tests.log")"
  [ $rc -eq 0 ] || status=1
fi

if want native; then
  if [ -x "$native_dir/flashmoe_smoke" ]; then
    note "== native: flashmoe_smoke (C API, both layer paths), fused_test (graph, fault injection, determinism), gemm_tile_test"
    start=$(date +%s)
    { LD_LIBRARY_PATH="$native_dir" timeout --kill-after=10 "${NATIVE_TIMEOUT:-150}" "$native_dir/flashmoe_smoke"
      echo "flashmoe_smoke exit $?"
      timeout --kill-after=10 "${NATIVE_TIMEOUT:-150}" "$native_dir/fused_test"
      echo "fused_test exit $?"
      if [ -x "$native_dir/gemm_tile_test" ]; then
        # the processors' tiles alone against fp64 (every tile kind; the gathered ones and their ring sequence)
        LD_LIBRARY_PATH="$native_dir" timeout --kill-after=10 "${NATIVE_TIMEOUT:-150}" "$native_dir/gemm_tile_test"
        echo "gemm_tile_test exit $?"
      fi
      if [ -x "$native_dir/ep_layer_test" ]; then
        # P = 1 through the full NVSHMEM path against the single-GPU layer, bitwise (skips without NVSHMEM)
        LD_LIBRARY_PATH="$native_dir" timeout --kill-after=10 "${NATIVE_TIMEOUT:-150}" "$native_dir/ep_layer_test" --quick
        echo "ep_layer_test exit $?"
      fi; } 2>&1 | tee "$out/native.log"
    for t in flashmoe_smoke fused_test; do grep -q "^$t exit 0$" "$out/native.log" || status=1; done
    for t in gemm_tile_test ep_layer_test; do
      if grep -q "^$t exit" "$out/native.log"; then grep -q "^$t exit 0$" "$out/native.log" || status=1; fi
    done
    note "native: $(grep -E '^(flashmoe_smoke|fused_test|gemm_tile_test|ep_layer_test) exit' "$out/native.log" | tr '\n' ' ')in $(( $(date +%s) - start )) s"
  else
    note "== native: no native test binaries in the bundle; skipped"
  fi
fi

if want sanitizer; then
  note "== compute-sanitizer memcheck, racecheck, synccheck on the tests tagged 'sanitizer' and on fused_test --quick"
  sanitizer="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | head -1)"
  if [ -z "$sanitizer" ]; then
    note "compute-sanitizer not found: skipped"; status=1
  else
    console_for -Dflashmoe.gpu.required=true
    : > "$out/sanitizer.log"
    : > "$out/native-sanitizer.log"
    for tool in memcheck racecheck synccheck; do
      extra=()
      [ "$tool" = memcheck ] && extra=(--leak-check full)
      start=$(date +%s)
      # A bench-only bundle (gpu-bundle.sh BUNDLE_BENCH_ONLY=1, with BUNDLE_NATIVE_CHECK=1 for fused_test) carries no
      # JUnit: its sanitizer step is fused_test's alone, and the summary says so.
      if [ -f "$lib/junit-platform-console-standalone.jar" ]; then
        echo "===== $tool" >> "$out/sanitizer.log"
        timeout --kill-after=10 "${SANITIZER_TIMEOUT:-150}" "$sanitizer" --tool "$tool" "${extra[@]}" \
          --error-exitcode 86 --print-limit 50 \
          "${console[@]}" \
          --select-package dev.flashmoe.tests.gpu --include-tag sanitizer --reports-dir "$work/reports/sanitizer-$tool" \
          >> "$out/sanitizer.log" 2>&1
        rc=$?
        note "JUnit sanitizer set under $tool: exit $rc (86 = errors) in $(( $(date +%s) - start )) s; $(grep -E '(ERROR|RACECHECK) SUMMARY' "$out/sanitizer.log" | tail -1)"
        [ $rc -eq 0 ] || status=1
      else
        note "JUnit sanitizer set under $tool: not in this bundle (no JUnit: bench-only); skipped"
      fi
      if [ -x "$native_dir/fused_test" ]; then
        echo "===== $tool" >> "$out/native-sanitizer.log"
        timeout --kill-after=10 "${SANITIZER_TIMEOUT:-150}" "$sanitizer" --tool "$tool" --error-exitcode 86 \
          "$native_dir/fused_test" --quick --timeout-ms 60000 >> "$out/native-sanitizer.log" 2>&1
        rc=$?
        note "fused_test --quick under $tool: exit $rc; $(grep -E '(ERROR|RACECHECK) SUMMARY' "$out/native-sanitizer.log" | tail -1)"
        [ $rc -eq 0 ] || status=1
      fi
    done
  fi
fi

if want bench; then
  if [ -f "$lib/flashmoe-bench.jar" ]; then
    note "== benchmark: dev.flashmoe.bench.Main ${FLASHMOE_BENCH_ARGS:---backend cuda}"
    start=$(date +%s)
    # shellcheck disable=SC2086
    timeout --kill-after=10 "${BENCH_TIMEOUT:-90}" "$java" "${jvm[@]}" -cp "$lib/flashmoe-bench.jar:$cp" \
      dev.flashmoe.bench.Main ${FLASHMOE_BENCH_ARGS:---backend cuda} 2>&1 | tee "$out/bench.log"
    rc=${PIPESTATUS[0]}
    note "benchmark: exit $rc in $(( $(date +%s) - start )) s"
    [ $rc -eq 0 ] || status=1
  else
    note "== benchmark: lib/flashmoe-bench.jar not in the bundle; skipped"
  fi
fi

[ -d "$work/reports" ] && tar -czf "$out/junit-reports.tar.gz" -C "$work/reports" .
note "overall: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
rm -rf "$work"
exit $status
