#!/usr/bin/env bash
# Issue 4's measurements in one device call, from the repository root on the GPU machine, with the GPU bundle
# (tools/gpu-bundle.sh; BUNDLE_AB_LIBS=DIR adds earlier libraries for the A/B):
#   bash tools/run-perf-check.sh [STEP...]      STEP: tiles | ab | trace | presets | all (default)
# - tiles:   gemm_tile_test (SM80 and Hopper tiles against fp64, then their own throughput) -> $OUT/tile.log
# - ab:      tools/run-ab.sh over .bundle's native/ab/<name> libraries and the bundle's own ("new"), Qwen3-30B-A3B
#            T = $AB_TOKENS -> $OUT/ab.log
# - trace:   the benchmark jar's in-kernel trace at T = $TRACE_TOKENS (summary and phase lines, Chrome JSON, timeline)
# - presets: the benchmark jar's sweep of every preset of issue 4 (ceilings measured in each run)
# trace and presets go to $OUT/bench.tar.gz (draw the PNGs on the development machine: dev.flashmoe.bench.Plot).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$root/.bundle"
out="${OUT:-$PWD/perf-check-out}"
mkdir -p "$out"
work="$(mktemp -d /tmp/flashmoe-perf.XXXXXX)"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
want() { local s; for s in "${steps[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done; return 1; }

[ -x "$bundle/jre/bin/java" ] && [ -f "$bundle/lib/flashmoe-native.jar" ] || tar -xJf "$bundle/jre.tar.xz" -C "$bundle"  # the JRE and the native jar travel packed (gpu-bundle.sh)
native="$(bash "$bundle/unpack-native.sh" "$bundle" "$work")" || { echo "no native tests in $bundle" >&2; exit 1; }
lib="$bundle/lib"
bench=("$bundle/jre/bin/java" -Dorg.bytedeco.javacpp.cachedir="$work/javacpp-cache"
       -cp "$lib/flashmoe-bench.jar:$lib/flashmoe-api.jar:$lib/flashmoe-native.jar:$lib/javacpp.jar"
       dev.flashmoe.bench.Main --backend cuda)

if want tiles; then
  echo "== tiles"
  LD_LIBRARY_PATH="$native" timeout 150 "$native/gemm_tile_test" --time > "$out/tile.log" 2>&1
  echo "gemm_tile_test exit $?; $(tail -1 "$out/tile.log")"
  grep -E '^time ' "$out/tile.log"
fi

if want ab; then
  echo "== A/B (Qwen3-30B-A3B, bf16; event medians of 20 forwards; ${ROUNDS:-2} rounds)"
  variants=()
  for dir in "$native"/ab/*/; do
    [ -f "$dir/libflashmoe.so" ] && variants+=("$(basename "$dir")=$dir")
  done
  variants+=("new=$native")
  bash "$root/tools/run-ab.sh" "$native/gemm_tile_test" "${AB_TOKENS:-1,8,64,256,1024,4096,16384}" "${variants[@]}" \
    > "$out/ab.log" 2>&1
  sed -n '/^== medians/,$p' "$out/ab.log"
fi

mkdir -p "$work/bench"
if want trace; then
  echo "== in-kernel trace (Qwen3-30B-A3B, bf16)"
  timeout 200 "${bench[@]}" --sweep "${TRACE_TOKENS:-1,1024,16384}" --iters 5 --trace --copy-tbps 4.3 \
    --matmul-tflops 790 --out "$work/bench/trace" > "$work/bench/trace.out" 2>&1
  echo "exit $?"
  grep -E '^ *(trace|phases) T=' "$work/bench/trace.out"
fi

if want presets; then
  for preset in ${PRESETS:-qwen3-30b-a3b paper mixtral-8x7b}; do
    echo "== sweep $preset"
    timeout 200 "${bench[@]}" --preset "$preset" --sweep preset --out "$work/bench/$preset" \
      > "$work/bench/$preset.out" 2>&1
    echo "exit $?"
    grep -v '^\[' "$work/bench/$preset.out" | tail -14  # the table, without the progress bar
  done
fi

if [ -n "$(ls -A "$work/bench")" ]; then
  (cd "$work/bench" && find . -name '*.json' -size +1M -exec gzip -9 {} \; && tar -czf "$out/bench.tar.gz" .)
fi
rm -rf "$work"
