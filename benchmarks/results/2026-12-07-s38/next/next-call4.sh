#!/usr/bin/env bash
# Drafted in session 38, not run. Where the ~4 us before the routing's release go at decode (perf-notes item 143), and
# item 142 against main as two libraries (next-call.sh measures it as one library with its setting on and off).
# Bundle /tmp/bundle-s38-stamps: main 67a7fc9's bench-only bundle (its library = main's kernel, sm_90a md5 ad3b4a56)
# with native/ab/p142 (main + ../item-142.patch, 2e444109), native/ab/stamps (main built with
# -DFLASHMOE_OS_STAMPS, 35dbb107) and native/ab/stamps142 (the patch, with the stamps, 8e402cf9). Recipe, from the
# repository root on main 67a7fc9 or later (STAMPS: --cmake-arg=-DCMAKE_CUDA_FLAGS=-DFLASHMOE_OS_STAMPS):
#   python3 csrc/tools/build_native.py --build-dir B1 --install-dir I1 --no-tests --archs 90a STAMPS
#   git checkout -q -b tmp/i142s && git apply benchmarks/results/2026-12-07-s38/item-142.patch && git commit -qam i142s
#   python3 csrc/tools/build_native.py --build-dir B2 --install-dir I2 --no-tests --archs 90a [STAMPS] (p142 without)
#   copy each I*/lib/libflashmoe.so to AB/LABEL/; git checkout -q main
#   mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=AB bash tools/gpu-bundle.sh
# Predicted: p142 as next-call.sh's "on" (Qwen3 T = 1 -3 to -6 %). The stamps (tools/task-stamps.py on each JSON):
# the count pass and the scan ~1-1.5 us each (the OS block's code cold: items 21, 50) and the entry-to-epoch read
# ~0.5-1 us, the release ~0.5 us; with item 142 the first GEMM0 task within ~2 us of the first dispatch.
# run(carry=[".bundle"], timeout_s=250, command="CALL_SECONDS=240 bash benchmarks/results/2026-12-07-s38/next/next-call4.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s39s 3 60 "qwen3-30b-a3b 1,2,8" "paper 1" "gpt-oss-120b 1" -- main=bundle p142=$(ab_lib p142)
for preset in qwen3-30b-a3b paper; do
  for label in stamps stamps142; do
    trace_lib $label $(ab_lib $label) $preset 1
    python3 tools/task-stamps.py $w/t-$label-$preset-1/trace-T1.json | tee -a $r/os-stamps.txt
  done
done
(cd $w && tar czf $OUT/next-call4.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
