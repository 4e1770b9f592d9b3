#!/usr/bin/env bash
# Session 24 call7: issue 4's paper and Mixtral-8x7B points on the session's final library (item 101, its kernels'
# SASS identical to 6889cfa's, which call5 checked), bench-only bundle; the preset sweeps with both ceilings measured.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=330 bash benchmarks/results/2026-12-06-s24-coop/call7/call7.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
