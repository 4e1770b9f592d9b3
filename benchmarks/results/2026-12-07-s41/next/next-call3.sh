#!/usr/bin/env bash
# Drafted in session 41, not run. Item 148 (trace records take their slot in shared memory: branch
# next/trace-slot-main c377a38 = main 6bac01c + item 148, sm_90a md5 bed678d2) against main (md5 2c901cbe): untraced,
# 3 rounds at the decode points and one large T (it must cost nothing there), then traced gpt-oss-120b, Qwen3 and
# paper T = 1 with both libraries (the traced forward's span against the untraced median; the gaps between a
# processor's records).
# Bundle (from a worktree of the branch): mvn -B -q -o -DskipTests install, then
#   BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh  with DIR/main/libflashmoe.so built from main
#   (csrc/tools/build_native.py --archs 90a; md5 2c901cbe); MANIFEST line 2 by hand. Prebuilt in session 41 as
#   /tmp/bundle-s41-t148.
# Predicted (item 148): untraced within +-0.3 % of main at every point; traced decode spans 3-6 % shorter than main's
# traced spans, closer to the untraced medians; a processor's back-to-back records 2-3.5 us apart on main, < 1 us on
# the branch.
# run(carry=[".bundle"], timeout_s=300, command="CALL_SECONDS=285 bash benchmarks/results/2026-12-07-s41/next/next-call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s42t 3 $(( $(left) - ${AB_SECONDS:-150} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,16384" "paper 1" -- \
  t148=bundle "main=$(ab_lib main)"
for p in gpt-oss-120b qwen3-30b-a3b paper; do
  trace_lib t148-$p bundle $p 1
  trace_lib main-$p "$(ab_lib main)" $p 1
done
(cd $w && tar czf $OUT/next-call3.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
