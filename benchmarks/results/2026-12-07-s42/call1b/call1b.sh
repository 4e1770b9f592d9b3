#!/usr/bin/env bash
# Session 42, call1b: call1 and the first part of call2 in one call, because starts failed (four failed or were turned
# away before it): the whole GPU check of item 155's branch (next/s41-review; the bundle of call1/call1.sh), then as
# much of call2's A/B (rev / main / m144 / t148) as the call has left, at its five main points; then traced T = 1
# with t148 and rev if time is left. Predictions: call2/call2.sh's.
# run(carry=[".bundle"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s42/call1b/call1b.sh")
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
(cd $w && tar czf $OUT/call1b.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
