#!/usr/bin/env bash
# For the next device session (written in session 23, not run: its device time was spent). Item 98 changed the
# default kernel's barriers (fused/block_sync.cuh: named barrier 1 with a __syncwarp first, in place of
# __syncthreads) and its stack frame (408 -> 416 bytes); nothing measured that against main. A/B base = main 8d5fdb2's
# libflashmoe.so, new = the bundle's (7eef352 or later), two rounds, decode to large T.
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh, where DIR/base/libflashmoe.so is 8d5fdb2's:
#   git worktree add /tmp/base 8d5fdb2 && (cd /tmp/base && mvn -B -q -o -DskipTests install) &&
#   mkdir -p /tmp/ab/base && cp /tmp/base/flashmoe-native/target/native/lib/libflashmoe.so /tmp/ab/base/
# Run: run(carry=[".bundle"], command="CALL_SECONDS=420 bash benchmarks/results/2026-12-06-s23-tile/next/ab-default.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab default 2 10 "qwen3-30b-a3b 1,8,64,1024,4096,16384" "paper 1,16384" "mixtral-8x7b 1,1024" -- base=$n/ab/base new=bundle
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
