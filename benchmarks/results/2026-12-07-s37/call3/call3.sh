#!/usr/bin/env bash
# Session 37 call3: items 137 and 138 against main (797994b: items 131, 133, 134 merged), 4 rounds.
#  comb = item 137 (branch next/combine-by-tiles, the bundle's own library): a direct COMBINE waits for its routes'
#         row tiles' GEMM1 counts (warp 0, a lane per route) instead of the token tile's done count, which the last
#         GEMM1 task of a row tile bumps only after an acquire, a barrier, its route lookups and another fence.
#         Predicted Qwen3 T = 1 -2 to -4 %, the other one-token points -1 to -3 %, T = 2 and 8 about -1 %, T = 1024
#         within +-0.5 %.
#  tmap = items 137 + 138 (branch next/tmap-prefetch): each processor prefetches the launch's TMA descriptors
#         (prefetch.tensormap) while it waits for the slot assignment. Predicted 0 to -1 % at T = 1 against comb.
# The bundle (/tmp/bundle-s37-ab in session 37), from the repository root (the branches were session-local: comb is
# main 797994b + ../item-137-every-t.patch, tmap that + main's item 138 commit c1935dc):
#   git checkout next/combine-by-tiles
#   bash tools/build-ab-libs.sh /tmp/ab37 main=main comb=next/combine-by-tiles tmap=next/tmap-prefetch
#   mkdir /tmp/ab37b && cp -r /tmp/ab37/main /tmp/ab37/tmap /tmp/ab37b/    # two A/B libraries fit the carry
#   mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/tmp/ab37b bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=290, command="CALL_SECONDS=280 bash benchmarks/results/2026-12-07-s37/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s37b 4 10 "qwen3-30b-a3b 1,2,8,1024" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- \
  main=$(ab_lib main) comb=bundle tmap=$(ab_lib tmap)
echo "== done ($(left) s left)"
