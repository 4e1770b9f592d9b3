#!/usr/bin/env bash
# Drafted in session 36, not run. Items 134 and 136 against main, 5 rounds, at the one-token points, Qwen3 T = 2, 8 and
# 1024, paper T = 4096 (call7 measured item 134 at 3 rounds, no prefill point; item 136 is not measured):
#  acq   = item 134 (acquire loads in place of the fence after the input polls). Predicted -1 to -3 % at T = 1, within
#          +-0.5 % at T >= 8.
#  claim = items 134 + 136 (thread 0 claims the next queue ticket before the finished task's publish, so that the
#          claim's round trip overlaps the release: call6's trace has 1.6 us (1.1..2.5) from a processor's GEMM0 end to
#          its GEMM1 start). Predicted a further -0.5 to -1.5 % at T = 1 and T = 8, -0.5 % at T = 1024.
# The bundle: built in session 36 as /tmp/bundle-s36-acqab (main e11dea2's bench-only bundle with native/ab/acq,
# sm_90a SASS md5 4914702a, and native/ab/claim, md5 712a23e0); else, on main:
#   git checkout -q -b tmp/i134 main && git apply benchmarks/results/2026-12-07-s36/item-134.patch && git commit -qam i134
#   git checkout -q -b tmp/i136 && git apply benchmarks/results/2026-12-07-s36/item-136.patch && git commit -qam i136
#   git checkout -q main
#   bash tools/build-ab-libs.sh /tmp/ab136 acq=tmp/i134 claim=tmp/i136
#   mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/tmp/ab136 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=500, command="CALL_SECONDS=490 bash benchmarks/results/2026-12-07-s36/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s37a 5 10 "qwen3-30b-a3b 1,2,8,1024" "paper 1,4096" "gpt-oss-120b 1" "mixtral-8x7b 1" -- \
  main=bundle acq=$(ab_lib acq) claim=$(ab_lib claim)
(cd $r && tar czf $OUT/next-call2.tar.gz .)
echo "== done ($(left) s left)"
