#!/usr/bin/env bash
# Session 24 call6 (item 101's rule on a shape it changes and was not tuned on): bench-only bundle of main 6889cfa
# (new = its library: gemm1_max_pieces, OLMoE-1B-7B's I = 1024 -> 12 pieces, Qwen3's 768 -> 16); A/B libraries
# (sm_90a only): head = main 2e3034a (8 pieces everywhere), g1p32 = 2e3034a with kMaxGemm1Pieces = 32 (call4's build).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=300 bash benchmarks/results/2026-12-06-s24-coop/call6/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab rule 2 10 "olmoe-1b-7b 1024,4096,16384" "qwen3-30b-a3b 4096,16384" -- new=bundle head=$n/ab/head g1p32=$n/ab/g1p32
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
