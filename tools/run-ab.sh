#!/usr/bin/env bash
# A/B of the fused kernel on the GPU machine, in one call (machines differ by ~5 %: compare only within a call): the
# layer sweep of gemm_tile_test (Qwen3-30B-A3B, bf16 gated SiLU, event medians of 20 forwards) through each variant,
# the variants alternated ROUNDS times (default 2).
#   bash tools/run-ab.sh GEMM_TILE_TEST TOKENS VARIANT...
#   VARIANT = label=LIBDIR[,NAME=VALUE...]   (LIBDIR holds libflashmoe.so; NAME=VALUE are environment settings)
# e.g. bash tools/run-ab.sh native/gemm_tile_test 1,64,1024,4096 base=old new=native nowgmma=native,FLASHMOE_DISABLE_WGMMA=1
# Prints one line per (round, variant, T) and a median table at the end.
set -uo pipefail
binary="$1"; tokens="$2"; shift 2
rounds="${ROUNDS:-2}"
log="$(mktemp)"
for round in $(seq 1 "$rounds"); do
  for variant in "$@"; do
    label="${variant%%=*}"
    spec="${variant#*=}"
    IFS=',' read -r libdir settings <<< "$spec"
    envs=()
    [ -n "${settings:-}" ] && IFS=',' read -r -a envs <<< "$settings"
    env "${envs[@]}" LD_LIBRARY_PATH="$libdir" timeout 300 "$binary" --sweep-only --fused-only --tokens "$tokens" 2>&1 |
      sed -n "s/^sweep    qwen3 bf16 fused *T=\([0-9]*\) *median \([0-9.]*\) ms.*/$round $label \1 \2/p" | tee -a "$log"
  done
done
echo "== medians (ms) by variant and T, rounds $rounds"
awk '{ v[$2" "$3] = v[$2" "$3] " " $4 } END { for (k in v) print k ":" v[k] }' "$log" | sort -k2,2n -k1,1
rm -f "$log"
