#!/usr/bin/env bash
# Drafted in session 36, not run (after call7 265 s of device time were left, too few for it; call8 used them for a
# short A/B). The GPU check of item 134 (acquire loads in place of the fence after a GEMM task's and the COMBINE's
# input poll; perf-notes item 134: call7 measured Qwen3 T = 1 -3.0 %, paper, gpt-oss-120b and Mixtral T = 1 -1.2 to
# -1.3 %, Qwen3 T = 8 -0.1 % against main, call8 -1.0 to -2.6 % at T = 1, each run's checked token OK): the JUnit GPU
# tests, flashmoe_smoke, fused_test, gemm_tile_test, ep_layer_test, memcheck / racecheck / synccheck, then one traced
# Qwen3 T = 1 forward.
# The bundle: built in session 36 as /tmp/bundle-s36-acqfull (copy it to .bundle if it survived); else, on main:
#   git checkout -b tmp/i134 && git apply benchmarks/results/2026-12-07-s36/item-134.patch
#   mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
#   git checkout -f main && git branch -D tmp/i134      # .bundle (ignored) stays
# run(carry=[".bundle"], timeout_s=480, command="CALL_SECONDS=470 bash benchmarks/results/2026-12-07-s36/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
trace qwen3-30b-a3b 1
check
cp $r/trace-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/next-call.tar.gz t-* 2>/dev/null)
echo "== done ($(left) s left)"
