#!/usr/bin/env bash
# Drafted in session 40, not run. The whole GPU check (the JUnit GPU tests, the native suite, the sanitizers with
# synccheck, which session 40's call2 lost to its limit) of the tree to be merged after next-call.sh decides: the
# early-path branch with or without item 145, with whatever fix next-call.sh's answer names. Bundle: a full bundle of
# that tree (mvn -B -q -o -DskipTests install, then BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh; MANIFEST line 2 by
# hand). Session 40 prebuilt one of next/early-chain3 21822a2 (items 145-147, 149-151; md5 7bee2bef) as
# /tmp/bundle-s40-full: use it if that tree is chosen as it is, else rebuild from the tree chosen.
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s40/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== done ($(left) s left)"
