#!/usr/bin/env bash
# Session 22, call3. Bundle: main f4f43db, plus .bundle/diag.tar.xz (gemm_tile_test and libflashmoe.so built from
# main + cluster-pairs.patch + ../patches/cluster-pairs-diag.patch). (1) The diagnostic build: where a cluster's two
# CTAs land (placement), the multicast probe with its diagnosis modes, then the tile timings (`--time`: the paired
# tile against item 30's prototypes on this H100). (2) Session 20's call4 on main: in-kernel traces of Qwen3 T = 1,
# 1024, 4096 and paper T = 1.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
tar -xJf .bundle/diag.tar.xz -C $w
echo "== diag probe"; timeout 60 env LD_LIBRARY_PATH=$w/diag $w/diag/gemm_tile_test --mcast-probe > $OUT/probe3.txt 2>&1; echo "exit $?"
grep -E "placement|time|FAIL" $OUT/probe3.txt | head -30
echo "== tile timings"; timeout 150 env LD_LIBRARY_PATH=$w/diag $w/diag/gemm_tile_test --time > $OUT/tiles.txt 2>&1; echo "exit $?"
grep -E "^time|FAIL|PASS" $OUT/tiles.txt | head -40
# (2) Session 20's call4, as it stands (its traces and all.tar.gz into this call's $OUT; it ran inline in this
# script then, the same commands).
CALL_SECONDS=$(left) bash benchmarks/results/2026-12-06-s20-combine-copies/call4/call4.sh
