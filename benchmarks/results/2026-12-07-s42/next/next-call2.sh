#!/usr/bin/env bash
# Drafted in session 42, not run (no device machine was lent). The rest of next-call1.sh's A/B, on its bundle (items
# 155 + 156 = s156; native/ab/main = dc2aa8a, r155 = item 155 alone, t148 = item 148 on item 155):
# (1) s156 / off (FLASHMOE_DISABLE_EARLY_GEMM1_START=1) / r155 / main, 3 rounds, at Qwen3 T = 4 and Mixtral T = 1 (off
#     the early path: where a kernel's size cost before, items 149 and 155; item 156 adds ~420 instructions to each
#     GEMM1 swap task function, cold there), Qwen3-235B T = 1 and the points next-call1.sh's limit cut;
# (2) t148 against r155 at Qwen3 T = 1 and 16384 (item 148 untraced: it must cost nothing);
# (3) traced T = 1 of gpt-oss-120b, Qwen3 and paper with r155 and t148 (item 148: the traced spans, record gaps).
# Predicted: off-path points within +-1 % for every variant; t148 untraced within +-0.3 % of r155; traced decode spans
# 3-6 % shorter with t148, a processor's back-to-back records < 1 us apart (2-3.5 us on r155).
# run(carry=[".bundle"], timeout_s=470, command="CALL_SECONDS=455 bash benchmarks/results/2026-12-07-s42/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s43c 3 $(( $(left) - ${AB_SECONDS:-150} )) "qwen3-30b-a3b 4" "mixtral-8x7b 1" "qwen3-235b-a22b 1" -- \
  s156=bundle off=bundle,FLASHMOE_DISABLE_EARLY_GEMM1_START=1 "r155=$(ab_lib r155)" "main=$(ab_lib main)"
ab s43d 2 $(( $(left) - 100 )) "qwen3-30b-a3b 1,16384" -- "r155=$(ab_lib r155)" "t148=$(ab_lib t148)"
for p in gpt-oss-120b qwen3-30b-a3b paper; do
  trace_lib t148-$p "$(ab_lib t148)" $p 1
  trace_lib r155-$p "$(ab_lib r155)" $p 1
done
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
