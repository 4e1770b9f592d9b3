#!/usr/bin/env bash
# Session 24 call2: bench-only bundle of the item 99 tree (its gemm_tile_test has the hand-off probe's mode 3), A/B
# libraries (sm_90a only, csrc's CMake, target flashmoe): base = main 8d5fdb2, head = main 2e3034a, nostore1 = the
# item 99 tree with -DFLASHMOE_DIAG_NO_GEMM1_STORES (GEMM1 rows not stored: wrong results, timing only).
# 1. gemm_tile_test's hand-off probe (4 forms), plain and under synccheck.
# 2. A/B new (the bundle's default kernel) / head / base / coop (FLASHMOE_COOP_MIN_ROUTES=0) / nostore1.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=560 bash benchmarks/results/2026-12-06-s24-coop/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
echo "== handoff probe ($(left) s left)"
nat timeout 30 $n/gemm_tile_test --handoff-probe > $OUT/handoff.txt 2>&1; echo "exit $?"; grep -a "handoff" $OUT/handoff.txt
nat timeout 50 "$san" --tool synccheck --print-limit 20 $n/gemm_tile_test --handoff-probe > $OUT/handoff-synccheck.txt 2>&1
echo "synccheck exit $?"; grep -aE "handoff  mode|SUMMARY" $OUT/handoff-synccheck.txt
grep -aoE "handoff_probe_kernel<\(int\)[0-9]>" $OUT/handoff-synccheck.txt | sort | uniq -c
ab s24 2 10 "qwen3-30b-a3b 1,64,1024,4096,16384" "paper 1,4096,16384" "mixtral-8x7b 1,1024" -- \
  new=bundle head=$n/ab/head base=$n/ab/base coop=bundle,FLASHMOE_COOP_MIN_ROUTES=0 nostore1=$n/ab/nostore1
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
