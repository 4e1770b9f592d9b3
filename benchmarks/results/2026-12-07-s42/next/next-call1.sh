#!/usr/bin/env bash
# Drafted in session 42, not run: no device machine started (six starts failed or were turned away, then the device
# tool stopped lending for the session). One call for the whole GPU check of item 155 (docs/perf-notes.md) and the
# first part of its A/B, because starts are scarce: the JUnit GPU tests, the native suite, compute-sanitizer memcheck,
# racecheck and synccheck (never run on main's kernel since item 154, md5 2c901cbe), then rev / main / m144 / t148 at
# five decode points with what the call has left, then traced Qwen3 T = 1 with t148 and rev.
# Bundle: a full bundle of the branch (item-155.patch on main dc2aa8a's kernel, sm_90a md5 bab8893a) carrying three
# A/B libraries:
#   git checkout -b next/s41-review main && git am benchmarks/results/2026-12-07-s42/item-155.patch
#   git checkout -b next/trace-slot && git am benchmarks/results/2026-12-07-s42/item-148.patch && git checkout next/s41-review
#   mvn -B -q -o -DskipTests install
#   bash tools/build-ab-libs.sh /tmp/ab42 main=dc2aa8a m144=b379388 t148=next/trace-slot
#   BUNDLE_AB_LIBS=/tmp/ab42 bash tools/gpu-bundle.sh   # MANIFEST line 2 by hand; md5s: main 2c901cbe, m144
#                                                       # ab5776f3, t148 4addac72 (tools' SASS md5, docs/perf-notes.md)
# The bundle is ~41 MB: run the call from a tree without benchmarks/results/'s other folders (CONTRIBUTING.md), then
# `git checkout -- benchmarks/results`.
# Predicted: next-call2.sh's; every check step passes.
# run(carry=[".bundle"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s42/next/next-call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== check done ($(left) s left)"
ab s42a 3 $(( $(left) > 200 ? 45 : 10 )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2,4" "paper 1" -- \
  rev=bundle "main=$(ab_lib main)" "m144=$(ab_lib m144)" "t148=$(ab_lib t148)"
trace_lib t148-qwen3 "$(ab_lib t148)" qwen3-30b-a3b 1
trace_lib rev-qwen3 bundle qwen3-30b-a3b 1
(cd $w && tar czf $OUT/next-call1.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
