#!/usr/bin/env bash
# Drafted in session 42, not run (no device machine was lent). The rest of the A/B on next-call1.sh's bundle (item
# 155's branch = rev, with native/ab/main = dc2aa8a (the merged early path, item 154), m144 = b379388 (item 144 alone),
# t148 = item 148 on item 155):
# (1) rev / main / m144 / t148, 3 rounds, at the decode points and Qwen3 T = 2, 4 and Mixtral T = 1 (off the early
#     path or beside it: where a kernel's size cost before, items 149 and 155);
# (2) t148 against rev at Qwen3 T = 16384 (untraced, it must cost nothing);
# (3) traced T = 1 of gpt-oss-120b, Qwen3 and paper with rev and t148 (item 148: the traced spans and record gaps).
# Predicted: rev within +-1 % of main everywhere (item 155); rev and main against m144 -2 to -5 % at the T = 1 points
# of the early path, -6 to -8 % at Qwen3 T = 2; Mixtral T = 1, Qwen3 T = 4 within +-1.5 %; t148 untraced within +-0.3 %
# of rev; traced decode spans 3-6 % shorter with t148, a processor's back-to-back records < 1 us apart (2-3.5 us on
# rev).
# run(carry=[".bundle"], timeout_s=470, command="CALL_SECONDS=455 bash benchmarks/results/2026-12-07-s42/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s42c 3 $(( $(left) - ${AB_SECONDS:-140} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2,4" "paper 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- rev=bundle "main=$(ab_lib main)" "m144=$(ab_lib m144)" "t148=$(ab_lib t148)"
ab s42d 2 $(( $(left) - 100 )) "qwen3-30b-a3b 16384" -- rev=bundle "t148=$(ab_lib t148)"
for p in gpt-oss-120b qwen3-30b-a3b paper; do
  trace_lib t148-$p "$(ab_lib t148)" $p 1
  trace_lib rev-$p bundle $p 1
done
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
