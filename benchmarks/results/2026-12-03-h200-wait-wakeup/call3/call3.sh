#!/usr/bin/env bash
# call3: is the T=1 slot assignment slow because the previous forward's weights evicted code/routes from L2?
# Same E=128, k=8 routing at T=1/8; weights per expert 9.4 MB (qwen3) vs 0.8 MB (I=64) vs 0.1 MB (H=256, I=64).
set -uo pipefail
b=.bundle; w=$(mktemp -d)
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.2 --matmul-tflops 800)
for s in "qwen3:" "i64:--intermediate 64" "h256:--hidden 256 --intermediate 64"; do
  name=${s%%:*}; args=${s#*:}
  echo "== $name"; timeout 60 "${bench[@]}" $args --sweep 1,8 --iters 5 --trace --out $w/$name > $OUT/trace-$name.txt 2>&1; echo "exit $?"
  grep -E "^ *(trace|phases) T=" $OUT/trace-$name.txt | cut -c1-300
  python3 $b/diag.py $w/$name
done
