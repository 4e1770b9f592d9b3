#!/usr/bin/env bash
# Session 38 call5 (two failed starts left ~700 s of device time: one call). Item 140's A/B at every launch of <= 32
# routes it takes, then the native side of its GPU check (flashmoe_smoke, fused_test with its routing cases: capacity
# drops, bad ids and weights, the withheld-task timeouts; gemm_tile_test; memcheck / racecheck / synccheck). The
# JUnit GPU tests are not in a bench-only bundle; they stay for the session that merges it.
# A/B, 3 rounds: Qwen3 T = 1, 2, 4; paper T = 1, 2; gpt-oss-120b, gpt-oss-20b, Mixtral-8x7B, Qwen3-235B, OLMoE T = 1.
# Calls 1-2 read gpt-oss-120b -2.4 / -3.4 %, paper -0.9 / -1.3 %, Qwen3 T = 2 -0.5 / -0.6 %, Qwen3 T = 1 +1.9 / +1.1 %.
# Predicted: the same signs at those four; the rest -0.5 to -3 % (the release ~0.5-1 us earlier, as call2's traces).
# The bundle (/tmp/bundle-s38-c5), from the repository root on main bec5ba5:
#   git checkout -q -b tmp/i140 && git apply benchmarks/results/2026-12-07-s37/item-140.patch && git commit -qam i140
#   bash tools/build-ab-libs.sh /tmp/ab38 main=main
#   mvn -B -q -o -DskipTests install
#   BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/tmp/ab38 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s38/call5/call5.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s38c 3 300 "qwen3-30b-a3b 1,2,4" "paper 1,2" "gpt-oss-120b 1" "gpt-oss-20b 1" "mixtral-8x7b 1" \
  "qwen3-235b-a22b 1" "olmoe-1b-7b 1" -- main=$(ab_lib main) p140=bundle
check native sanitizer
(cd $r && tar czf $OUT/call5.tar.gz .)
echo "== done ($(left) s left)"
