#!/usr/bin/env bash
# Session 25 call4 (item 105: the dispatch's L2 policy). Bench-only bundle; A/B libraries (csrc's CMake, sm_90a only,
# target flashmoe): head = main bad9eb4, ds1 / ds2 = bad9eb4 + item 105's diagnostic dispatch built with
# -DFLASHMOE_DIAG_DISPATCH_STREAM=1 (rows stored evict-first) / =2 (and x loaded evict-last). 3 rounds.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=300 bash benchmarks/results/2026-12-06-s25-barriers/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab s25c 3 10 "qwen3-30b-a3b 1,256,1024,4096,16384" "paper 4096,16384" -- \
  head=$n/ab/head ds1=$n/ab/ds1 ds2=$n/ab/ds2
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
