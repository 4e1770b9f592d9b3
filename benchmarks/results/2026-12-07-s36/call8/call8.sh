#!/usr/bin/env bash
# Session 36, call 8, on the last ~265 s of device time (next-call2's bundle, /tmp/bundle-s36-acqab): a first, short
# look at item 136 (the next ticket claimed before the publish) beside item 134: main / acq (134) / claim (134 + 136),
# 3 rounds, Qwen3 T = 1 and 8, paper and gpt-oss-120b T = 1. Predicted: acq as call7 (-1 to -3 % at T = 1), claim a
# further -0.5 to -1.5 %. next-call2 is the fuller A/B (5 rounds, prefill points).
# run(carry=[".bundle"], timeout_s=190, command="CALL_SECONDS=180 bash benchmarks/results/2026-12-07-s36/call8/call8.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s36e 3 5 "qwen3-30b-a3b 1,8" "paper 1" "gpt-oss-120b 1" -- main=bundle acq=$(ab_lib acq) claim=$(ab_lib claim)
(cd $r && tar czf $OUT/call8.tar.gz .)
echo "== done ($(left) s left)"
