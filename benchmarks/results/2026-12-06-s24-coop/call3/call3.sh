#!/usr/bin/env bash
# Session 24 call3 (item 100): the default kernel's barrier forms. Bench-only bundle of main 2e3034a's tree (+ the
# hand-off probe's mode 3, which the library does not see); A/B libraries (sm_90a only, csrc's CMake, target flashmoe):
# base = main 8d5fdb2 (__syncthreads), v1 = 2e3034a's block_sync.cuh without __syncwarp (aligned bar.sync / bar.red),
# v2 = v1 with the non-aligned barrier.sync / barrier.red, v3 = v2 with __barrier_sync_count for the syncs.
# head = main 2e3034a (the same build as the variants). Run: run(carry=[".bundle"], command="CALL_SECONDS=400 bash benchmarks/results/2026-12-06-s24-coop/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab barriers 3 10 "qwen3-30b-a3b 1,8,64,1024,16384" "paper 1,16384" "mixtral-8x7b 1,1024" -- \
  head=$n/ab/head base=$n/ab/base v1=$n/ab/v1 v2=$n/ab/v2 v3=$n/ab/v3
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
