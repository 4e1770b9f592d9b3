#!/usr/bin/env bash
# Drafted in session 39, not run. Item 146 (the early path at up to 32 routes; branch next/early-gemm0-routes): its A/B
# against itself with FLASHMOE_DISABLE_EARLY_GEMM0=1 (main's pre-144 path), 3 rounds, at the points it takes (Qwen3
# T = 2, paper T = 2 / 4) and some it does not (Qwen3 T = 4, gpt-oss-120b T = 2) with T = 1 as the control, a traced
# Qwen3 T = 2 forward on and off, then its whole GPU check (fused_test's early-gemm0 cases at T = 2-4 included).
# Bundle: the branch's full bundle (BUNDLE_NATIVE_CHECK=1), prebuilt in session 39 as /tmp/bundle-s39-i146full; recipe:
#   (branch at df7a38d in session 39) git checkout next/early-gemm0-routes && mvn -B -q -o -DskipTests install && BUNDLE_NATIVE_CHECK=1 bash tools/gpu-bundle.sh
# (then MANIFEST line 2). Predicted (docs/perf-notes.md item 146): Qwen3 T = 2 and paper T = 2 / 4 -5 to -10 %; the
# points not taken within +-0.5 %; T = 1 as items 144-145 (Qwen3 -8 %, paper -10 % against the setting off).
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s39/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s40b ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-150} )) "qwen3-30b-a3b 1,2,4" "paper 1,2,4" "gpt-oss-120b 2" -- \
  on=bundle "off=bundle,FLASHMOE_DISABLE_EARLY_GEMM0=1"
trace_lib on bundle qwen3-30b-a3b 2
trace_lib off bundle qwen3-30b-a3b 2 FLASHMOE_DISABLE_EARLY_GEMM0=1
(cd $w && tar czf $OUT/next-call2-a.tar.gz r t-* 2>/dev/null)
check ${CHECK_STEPS:-}
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
