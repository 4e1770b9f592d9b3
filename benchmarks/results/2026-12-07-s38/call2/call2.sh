#!/usr/bin/env bash
# Session 38 call2 (bundle: session 37's /tmp/bundle-s37-next, as call1). Item 141 lost at every point it acts in
# call1 (paper T = 1 +8 %, Qwen3 T = 1-2 +2-3 %). Guess: its GEMM0 tasks start right at the routing, while item 114's
# first-wave L2 prefetches (issued during the slot assignment) are still in flight, and the loads of the same lines
# compete (items 59, 89); queue_gemm0_direct's entries came ~4.5 us later. Test: p141 and main with
# FLASHMOE_DECODE_PREFETCH_STEPS=0 (p141n, p140n, mainn), and traces of main / p140 / p141 / p141n at paper and Qwen3 T = 1.
# Predicted: p141n at or below p140 (and below main) at paper T = 1 if the guess holds; mainn +2.4-5.4 % (item 127).
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=320 bash benchmarks/results/2026-12-07-s38/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s38b 3 100 "qwen3-30b-a3b 1,2" "paper 1" "gpt-oss-120b 1" -- \
  main=bundle p140=$(ab_lib p140) p141=$(ab_lib p141) "p141n=$(ab_lib p141),FLASHMOE_DECODE_PREFETCH_STEPS=0" \
  "p140n=$(ab_lib p140),FLASHMOE_DECODE_PREFETCH_STEPS=0" "mainn=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0"
# trace_lib LABEL LIBDIR|bundle PRESET T [NAME=VALUE...]: trace() with an A/B library swapped into the native jar.
trace_lib() {
  local label=$1 lib=$2 preset=$3 t=$4; shift 4
  [ $(left) -gt 25 ] || { echo "== trace $label $preset T=$t skipped ($(left) s left)"; return 1; }
  local jar=$b/lib/flashmoe-native.jar
  if [ "$lib" != bundle ]; then
    jar=$w/native-$label.jar
    [ -f $jar ] || python3 tools/native-jar-with.py $b/lib/flashmoe-native.jar $lib/libflashmoe.so $jar || return 1
  fi
  local l=$(( $(left) - 15 ))
  env "$@" timeout $(( l < 60 ? l : 60 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-$label \
    -cp "$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$jar" dev.flashmoe.bench.Main \
    --backend cuda --copy-tbps 3 --matmul-tflops 750 --preset $preset --tokens $t --trace --iters 10 \
    --out $w/t-$label-$preset-$t > $r/trace-$label-$preset-$t.txt 2>&1
  echo "== trace $label $preset T=$t: exit $? ($(left) s left)"
  sed -n '/trace T=/,/timeline.png/p' $r/trace-$label-$preset-$t.txt
}
for preset in paper qwen3-30b-a3b; do
  trace_lib main bundle $preset 1
  trace_lib p140 $(ab_lib p140) $preset 1
  trace_lib p141 $(ab_lib p141) $preset 1
  trace_lib p141n $(ab_lib p141) $preset 1 FLASHMOE_DECODE_PREFETCH_STEPS=0
done
(cd $w && tar czf $OUT/call2.tar.gz r t-*)
echo "== done ($(left) s left)"
