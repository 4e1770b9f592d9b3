#!/usr/bin/env bash
# Session 35 call1 (a bench-only bundle of next/slot-table 0e35f8d, item 126, with its fused_test and flashmoe_smoke
# (BUNDLE_NATIVE_CHECK=1); main 8205cf9's sm_90a library as native/ab/main).
# 1. Three traces of Qwen3 T = 1: main (item 114's prefetch on, 8 steps), main with FLASHMOE_DECODE_PREFETCH_STEPS=0,
#    and item 126 (the GEMM0 queue entries from the OS block's shared slot table). Session 34's call5 trace had the
#    queue entries (PUSH_GEMM0) at 6.6-9.95 us, ~1.9 us a team for two dependent global loads and two stores, where
#    session 28's (before item 114) had 5.1-6.4. Predicted: without the prefetch the teams take ~0.5-1 us; with item
#    126 they take < 0.5 us with the prefetch on, and the first GEMM0 task starts ~1-1.5 us earlier.
# 2. The A/B, 3 rounds: main, i126, and main with dp0 (item 114 off), at the one-token points, Qwen3 T = 8 and 1024
#    (item 126 acts at every launch), cut 260 s before the call's end for the check.
# 3. The native side of the GPU check of item 126 (flashmoe_smoke, fused_test, gemm_tile_test; memcheck, racecheck,
#    synccheck), with what is left.
# run(carry=[".bundle"], timeout_s=590, command="CALL_SECONDS=580 bash benchmarks/results/2026-12-07-s35/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
# main's traces: the bundle's native jar with main's libflashmoe.so swapped in (tools/native-jar-with.py)
python3 tools/native-jar-with.py $b/lib/flashmoe-native.jar $(ab_lib main)/libflashmoe.so $w/main.jar
keep() { mv $r/trace-qwen3-30b-a3b-1.txt $r/trace-qwen3-30b-a3b-1-$1.txt; mv $w/t-qwen3-30b-a3b-1 $w/t-qwen3-30b-a3b-1-$1; }
bench_java=("${bench_java[@]/$b\/lib\/flashmoe-native.jar/$w/main.jar}")
trace qwen3-30b-a3b 1; keep main
FLASHMOE_DECODE_PREFETCH_STEPS=0 trace qwen3-30b-a3b 1; keep dp0
bench_java=("${bench_java[@]/$w\/main.jar/$b/lib/flashmoe-native.jar}")
trace qwen3-30b-a3b 1; keep i126
cp $r/trace-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/traces.tar.gz t-*)
main=$(ab_lib main)
ab s35 3 260 "qwen3-30b-a3b 1,8,1024" "paper 1" "gpt-oss-120b 1" -- main=$main i126=bundle \
  dp0=$main,FLASHMOE_DECODE_PREFETCH_STEPS=0
check native sanitizer
echo "== done ($(left) s left)"
