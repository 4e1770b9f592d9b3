#!/usr/bin/env bash
# Session 17 (short device time): the router's split/tiled threshold (call4's first part), then the in-kernel trace of
# Qwen3 T = 1 and 1024 with the bundle's library (FP32 rows: main's code path), as far as CALL_SECONDS goes.
set -uo pipefail
source .bundle/call-env.sh
echo "== router threshold ($(left) s left)"
OUT=$r/router ROUNDS=1 BENCH_TIMEOUT=60 timeout $(( $(left) - 60 < 150 ? $(left) - 60 : 150 )) bash tools/run-bench-ab.sh \
  "qwen3-30b-a3b 1,64,1024,2048,4096" -- rs4096=bundle rs2048=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=2048 \
  rs1024=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=1024 rs0=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0 > $r/bench-router.txt 2>&1
echo "exit $?"; sed -n '/== router medians/,$p' $r/bench-router.txt | head -24
cp="$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for t in 1 1024; do
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 15 < 60 ? $(left) - 15 : 60 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc \
    -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 --matmul-tflops 750 \
    --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  echo "T=$t:"; grep -E "phases T=" $r/trace-$t.txt
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); ls -la $OUT
