#!/usr/bin/env bash
# Session 17: the router threshold's crossover (T = 3072) and the launch rules' knobs (call4's second part), one round.
set -uo pipefail
source .bundle/call-env.sh
OUT=$r/router3k ROUNDS=1 BENCH_TIMEOUT=40 timeout 60 bash tools/run-bench-ab.sh "qwen3-30b-a3b 3072" "paper 2048,4096" -- \
  rs4096=bundle rs2048=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=2048 > $r/bench-router3k.txt 2>&1
echo "exit $?"; sed -n '/== router medians/,$p' $r/bench-router3k.txt | head -12
echo "== knobs ($(left) s left)"
OUT=$r/knobs ROUNDS=1 BENCH_TIMEOUT=40 timeout $(( $(left) - 15 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024,4096" \
  "paper 4096" "mixtral-8x7b 1024" -- base=bundle pairs65=bundle,FLASHMOE_PAIR_GROUP_ROWS=65 \
  tpp2=bundle,FLASHMOE_TASKS_PER_PROCESSOR=2 group4=bundle,FLASHMOE_EXPERT_GROUP_TILES=4 \
  wl2=bundle,FLASHMOE_WEIGHT_L2_PROMOTION=256 > $r/bench-knobs.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-knobs.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
