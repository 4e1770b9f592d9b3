#!/usr/bin/env bash
# Session 25 call2: issue 4's sweeps of main bad9eb4 (item 103) with both ceilings measured, then in-kernel traces of
# Qwen3-30B-A3B at T = 256 and 1024 (the missed points between decode and the GEMM-bound ones).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=560 bash benchmarks/results/2026-12-06-s25-barriers/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit" 
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for t in 256 1024; do
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 15 < 90 ? $(left) - 15 : 90 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" \
    dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 --matmul-tflops 750 --preset qwen3-30b-a3b --tokens $t \
    --trace --iters 20 --out $w/t-$t > $r/trace-qwen3-$t.txt 2>&1
  echo "== trace T=$t: exit $?"; grep -E "trace T=|phases T=" $r/trace-qwen3-$t.txt
done
cp $r/sweeps.txt $r/trace-qwen3-*.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
