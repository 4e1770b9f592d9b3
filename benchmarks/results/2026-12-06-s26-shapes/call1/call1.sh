#!/usr/bin/env bash
# Session 26 call1: where the time goes at the GEMM-bound points that miss issue 4's targets and the peer (in-kernel
# traces of Mixtral-8x7B T = 1024, Qwen3-30B-A3B T = 4096, paper T = 4096), ncu of Mixtral T = 1024, then the other
# real shapes' sweeps on this H100 (none since session 8, and those on an H200), as the time allows.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s26-shapes/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
trace() {  # trace PRESET T
  [ $(left) -gt 60 ] || return 1
  timeout $(( $(left) - 30 < 90 ? $(left) - 30 : 90 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" \
    dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 --matmul-tflops 750 --preset $1 --tokens $2 \
    --trace --iters 10 --out $w/t-$1-$2 > $r/trace-$1-$2.txt 2>&1
  echo "== trace $1 T=$2: exit $? ($(left) s left)"; grep -E "trace T=|phases T=" $r/trace-$1-$2.txt
}
trace mixtral-8x7b 1024
trace qwen3-30b-a3b 4096
trace paper 4096
[ $(left) -gt 200 ] && OUT=$r NCU_PRESET=mixtral-8x7b NCU_TOKENS="1024" timeout 150 bash $b/ncu-evidence.sh
sweep qwen3-235b-a22b 1,1024,4096
sweep gpt-oss-120b 1,1024,4096
sweep deepseek-v3 1,1024
sweep dbrx 1,1024
sweep llama4-scout 1,1024
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/trace-*.txt $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
