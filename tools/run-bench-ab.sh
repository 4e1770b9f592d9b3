#!/usr/bin/env bash
# A/B of the fused kernel through the benchmark jar (graph replays, any preset), on the GPU machine from the
# repository root with the GPU bundle carried (.bundle): each variant's libflashmoe.so is swapped into a copy of the
# bundle's native jar, and the variants are alternated ROUNDS times (default 2; machines differ by ~5 %: compare only
# within a call). Complements tools/run-ab.sh, which runs gemm_tile_test's Qwen3 sweep only.
#   bash tools/run-bench-ab.sh "PRESET SWEEP" ["PRESET SWEEP"...] -- VARIANT...
#   VARIANT = label=LIBDIR[,NAME=VALUE...]   (LIBDIR holds libflashmoe.so; "bundle" = the bundle's own library;
#                                             NAME=VALUE are environment settings for that variant, but for
#                                             BENCH_ARGS=..., extra benchmark arguments of that variant only)
# e.g. bash tools/run-bench-ab.sh "paper 4096,16384" "mixtral-8x7b 1024" -- base=native/ab/base new=bundle \
#        tiles2=bundle,FLASHMOE_PAIR_GROUP_ROWS=65 "sets8=bundle,BENCH_ARGS=--input-sets 8"
# Env: ROUNDS, BENCH_ARGS (default: the ceilings of session 7's H200, --copy-tbps 4.235 --matmul-tflops 892.5, so that
# no run spends time measuring them), BENCH_TIMEOUT (s per run, default 150), DRY_RUN=1 (print the commands only).
# Prints one line per (round, variant, preset, T: forward ms, router ms) and median tables of both at the end; each
# run's whole output goes to $OUT/bench-ab.log when OUT is set.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="${BUNDLE:-$PWD/.bundle}"
specs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#specs[@]} -gt 0 ] && [ $# -gt 0 ] || { sed -n '2,16p' "${BASH_SOURCE[0]}"; exit 2; }
rounds="${ROUNDS:-2}"
bench_args="${BENCH_ARGS:---copy-tbps 4.235 --matmul-tflops 892.5}"
work="$(mktemp -d /tmp/flashmoe-bench-ab.XXXXXX)"
[ -n "${OUT:-}" ] && mkdir -p "$OUT"  # NOTE: the call scripts name a fresh folder
log="${OUT:+$OUT/bench-ab.log}"; log="${log:-$work/bench-ab.log}"
lines="$work/lines"; : > "$lines"
{ [ -x "$bundle/jre/bin/java" ] && [ -f "$bundle/lib/flashmoe-native.jar" ]; } || [ "${DRY_RUN:-0}" = 1 ] ||
  tar -xJf "$bundle/jre.tar.xz" -C "$bundle"
common="$bundle/lib/flashmoe-tests.jar:$bundle/lib/flashmoe-api.jar:$bundle/lib/javacpp.jar:$bundle/lib/flashmoe-bench.jar"
labels=(); jars=(); envs=()
for variant in "$@"; do
  label="${variant%%=*}"; spec="${variant#*=}"
  IFS=',' read -r libdir settings <<< "$spec"
  jar="$bundle/lib/flashmoe-native.jar"
  if [ "$libdir" != bundle ]; then
    jar="$work/$label/flashmoe-native.jar"
    if [ "${DRY_RUN:-0}" != 1 ]; then
      mkdir -p "$work/$label"
      python3 "$here/native-jar-with.py" "$bundle/lib/flashmoe-native.jar" "$libdir/libflashmoe.so" "$jar" || exit 1
    fi
  fi
  labels+=("$label"); jars+=("$jar"); envs+=("${settings:-}")
done
for round in $(seq 1 "$rounds"); do
  for i in "${!labels[@]}"; do
    for spec in "${specs[@]}"; do
      read -r preset sweep <<< "$spec"
      settings=(); extra=()
      if [ -n "${envs[$i]}" ]; then
        IFS=',' read -r -a all <<< "${envs[$i]}"
        for setting in "${all[@]}"; do
          case "$setting" in
            BENCH_ARGS=*) read -r -a more <<< "${setting#BENCH_ARGS=}"; extra+=("${more[@]}") ;;
            *) settings+=("$setting") ;;
          esac
        done
      fi
      command=(env "${settings[@]}" timeout "${BENCH_TIMEOUT:-150}" "$bundle/jre/bin/java"
               -Dorg.bytedeco.javacpp.cachedir="$work/javacpp-${labels[$i]}" -cp "$common:${jars[$i]}"
               dev.flashmoe.bench.Main --backend cuda --preset "$preset" --sweep "$sweep" $bench_args "${extra[@]}"
               --out "$work/out-$round-${labels[$i]}-$preset")
      if [ "${DRY_RUN:-0}" = 1 ]; then echo "${command[*]}"; continue; fi
      "${command[@]}" > "$work/run.txt" 2>&1 || echo "run failed: round $round ${labels[$i]} $preset (exit $?)"
      { echo "== round $round ${labels[$i]} $preset (${envs[$i]:-defaults})"; cat "$work/run.txt"; } >> "$log"
      # the result table's rows: T, median ms, ... (the benchmark's own format)
      sed -n '/^ *T  median ms/,/^ *timing:/p' "$work/run.txt" | grep -E '^ *[0-9]+ +[0-9.]+ ' |
        awk -v r="$round" -v l="${labels[$i]}" -v p="$preset" '{print r, l, p, $1, $2, $10}' | tee -a "$lines"
    done
  done
done
[ "${DRY_RUN:-0}" = 1 ] && exit 0
# One line per (preset, T, variant): that column of $lines (5: forward ms, 6: router ms) for every round.
by_point() {
  awk -v c="$1" '{ v[$3" T="$4" "$2] = v[$3" T="$4" "$2] " " $c } END { for (k in v) print k ":" v[k] }' "$lines" |
    sort -k1,1 -k2,2V
}
echo "== forward medians (ms) by preset, T and variant, rounds $rounds"
by_point 5
echo "== router medians (ms; the benchmark's router column) by preset, T and variant, rounds $rounds"
by_point 6
