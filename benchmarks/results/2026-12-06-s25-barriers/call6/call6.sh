#!/usr/bin/env bash
# Session 25 call6: item 107's probe (gemm_tile_test --scatter-probe: the dispatch's copy alone), then in-kernel traces
# of Qwen3 T = 1024 with item 106's prefetch (A/B library pf: the item-106 tree, csrc's CMake, sm_90a only) and
# without (the bundle's library: main 4dceb5c + the probe), to see whether the first wave's GEMM0 tasks got shorter.
# Bench-only bundle of main with the probe.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=300 bash benchmarks/results/2026-12-06-s25-barriers/call6/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
nat timeout 90 $n/gemm_tile_test --scatter-probe > $OUT/scatter-probe.txt 2>&1; echo "probe exit $?"
cat $OUT/scatter-probe.txt
OUT=$r/traces ROUNDS=1 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
  timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024" -- \
  "head=bundle,BENCH_ARGS=--trace --iters 5" "pf8=$n/ab/pf,BENCH_ARGS=--trace --iters 5" > $r/traces.txt 2>&1
echo "traces exit $?"; grep -hE "^ *(trace|phases|occupancy) T=|^ +[0-9.]+-[0-9.]+ us:" $r/traces/*.log $r/traces.txt 2>/dev/null | head -40
cp $r/traces.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
