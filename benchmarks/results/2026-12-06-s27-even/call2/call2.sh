#!/usr/bin/env bash
# Session 27 call2: item 112 with its rule inlined as two fast fp32 divisions (`fr`: ColumnSplit::even_tasks, no call,
# no integer division; call1's out-of-line form `ni` cost Qwen3 T = 1 +1.9 % and its code alone, ni0, +1.6 %):
# fused_test, then the A/B head / fr / fr0 (= fr with FLASHMOE_EVEN_SPLIT=0) on issue 4's table, 3 rounds; the decode
# points again, 3 more rounds; the other shapes of call1, 2 rounds.
# Bundle: bench-only with BUNDLE_NATIVE_CHECK=1 (its library and fused_test = fr); A/B lib head (ad82404, sm_90a, the
# device code of main 7059ab7).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=400 bash benchmarks/results/2026-12-06-s27-even/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
nat timeout 100 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
grep -E "FAIL|even-split" $r/fused_test.txt | head -12
cp $r/fused_test.txt $OUT/
head=$n/ab/head
ab s27c 3 150 "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" -- \
  head=$head fr=bundle fr0=bundle,FLASHMOE_EVEN_SPLIT=0
ab s27d 3 100 "qwen3-30b-a3b 1,8" "paper 1" "mixtral-8x7b 1" -- head=$head fr=bundle fr0=bundle,FLASHMOE_EVEN_SPLIT=0
ab s27e 2 10 "gpt-oss-120b 4096" "dbrx 1024" "qwen3-235b-a22b 4096" "llama4-scout 4096" -- \
  head=$head fr=bundle fr0=bundle,FLASHMOE_EVEN_SPLIT=0
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
