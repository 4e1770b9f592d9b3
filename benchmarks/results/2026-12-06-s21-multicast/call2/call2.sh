#!/usr/bin/env bash
# Session 21, call2 (call1 never ran: no device). Bundle: this tree (5152c6c + item 94: clustered launches whose
# adjacent pair tasks share runs by TMA multicast, FLASHMOE_CLUSTER_PAIRS=1, off by default; run_combine's compact
# branch before the fp32 slice bounds). (1) gemm_tile_test --mcast-probe (item 93): the library's shared runs,
# checked against fp64, then timed against the paired tile. (2) A/B clusters off / on, two rounds.
# (3) The GPU check (JUnit GPU tests, native tests with fused_test's clustered pair cases, sanitizers).
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
echo "== probe"; timeout 100 bash -c "LD_LIBRARY_PATH=$n $n/gemm_tile_test --mcast-probe" > $OUT/probe.txt 2>&1; echo "exit $?"
grep -E "probe|PASS|FAIL|device|error" $OUT/probe.txt | head -30
ab cluster ${AB_ROUNDS:-2} ${AB_MARGIN:-250} "qwen3-30b-a3b ${AB_QWEN:-1024,4096,16384}" "paper ${AB_PAPER:-4096,16384}" "mixtral-8x7b 1024" -- \
  off=bundle on=bundle,FLASHMOE_CLUSTER_PAIRS=1
grep -iE "error|exception|timeout" $r/bench-cluster.txt | head -5
echo "== check ($(left) s left)"; check tests native sanitizer; echo "check exit $?"
cat $OUT/check/summary.txt 2>/dev/null | tail -25; echo "== done ($(left) s left)"
