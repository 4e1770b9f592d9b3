#!/usr/bin/env bash
# Session 25 call3 (item 104: the dispatch copy with a row's loads in flight together). Full bundle of the item-104
# tree (its libflashmoe.so is "disp"); A/B library head = main bad9eb4 (csrc's CMake, sm_90a only, target flashmoe).
# The A/B (3 rounds), then an in-kernel trace of Qwen3 T = 16384 on disp (the dispatch phase). The GPU check is call4.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=330 bash benchmarks/results/2026-12-06-s25-barriers/call3/call3.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab s25b 3 70 "qwen3-30b-a3b 1,256,1024,4096,16384" "paper 16384" "mixtral-8x7b 1024" -- \
  head=$n/ab/head disp=bundle
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
timeout 60 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
  --copy-tbps 3 --matmul-tflops 750 --preset qwen3-30b-a3b --tokens 16384 --trace --iters 10 --out $w/t-16384 \
  > $r/trace-qwen3-16384.txt 2>&1
echo "== trace T=16384: exit $?"; grep -E "trace T=|phases T=" $r/trace-qwen3-16384.txt; cp $r/trace-qwen3-16384.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
