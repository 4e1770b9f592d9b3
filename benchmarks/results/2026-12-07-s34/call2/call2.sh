#!/usr/bin/env bash
# Session 34 call2: issue 4's table on main + items 124-125 (the bundle of 2026-12-07-s33/call1.sh, whose library is
# main 7b55e03 + item-124.patch + item-125.patch, i.e. main after this session's merge): the benchmark jar's preset
# sweeps with both ceilings measured in the run, then two more shapes at T = 1 / 1024 where time is left.
# run(carry=[".bundle"], timeout_s=570, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s34/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
sweep qwen3-235b-a22b 1,1024
sweep deepseek-v3 1,1024
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
