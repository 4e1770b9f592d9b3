#!/usr/bin/env bash
# Session 35 call3 (main 8205cf9's full bundle, /tmp/bundle-s34-full): is item 88's GEMM1 L2 prefetch still doing its
# work at decode? call1's trace of Qwen3 T = 1 (main) has the GEMM1 tasks of the tiles whose GEMM0 ended at ~36.3 us
# end 7-10 us later (the 71 that waited from 20 us with their first stages issued) and 11-13 us later (the 185 started
# at 36.4-37.4): 25 MB in ~11-14 us, about the DRAM stream rate (item 86: ~2.3 TB/s), as if the weights came from DRAM.
# Two traces of Qwen3 T = 1 (default; FLASHMOE_GEMM1_L2_PREFETCH=0), then the A/B of the setting at three one-token
# points, 3 rounds. Predicted: if the prefetch works, the GEMM1 tasks after GEMM0's end take ~3-5 us longer without it
# and the forward +2-4 %; if they take the same, the prefetched lines do not survive until GEMM1 (the next change: an
# evict-last policy on the prefetch, or the prefetch later).
# run(carry=[".bundle"], timeout_s=240, command="CALL_SECONDS=230 bash benchmarks/results/2026-12-07-s35/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
keep() { mv $r/trace-qwen3-30b-a3b-1.txt $r/trace-qwen3-30b-a3b-1-$1.txt; mv $w/t-qwen3-30b-a3b-1 $w/t-qwen3-30b-a3b-1-$1; }
trace qwen3-30b-a3b 1; keep main
FLASHMOE_GEMM1_L2_PREFETCH=0 trace qwen3-30b-a3b 1; keep nol2
cp $r/trace-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/traces.tar.gz t-*)
ab s35l2 3 5 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" -- main=bundle nol2=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0
echo "== done ($(left) s left)"
