#!/usr/bin/env bash
# call2 (2026-12-04, session 8): item 60 (the router's split engine: a token block's slices as one thread block
# cluster, their logits gathered through distributed shared memory; one round of loads for one-atom slices). The
# benchmark jar (graph replays; ceilings given, measured in session 7's call2) with base (ad7e7fe's library swapped into
# a copy of the native jar), new (the working tree) and new with FLASHMOE_DISABLE_ROUTER_CLUSTER=1 (the loads change
# alone), alternated twice: Qwen3-30B-A3B T = 1 .. 4096 and DeepSeek-V3 T = 1 (E = 256: 32 slices, no cluster); then the
# full GPU check of new (flashmoe_smoke compares every 16-bit router case bitwise with and without clusters).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r $w/base
python3 - $b/lib/flashmoe-native.jar $n/ab/base/libflashmoe.so $w/base/flashmoe-native.jar <<'PY'
import sys, zipfile
name = "dev/flashmoe/cuda/internal/linux-x86_64/libflashmoe.so"
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[3], "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        dst.writestr(item, open(sys.argv[2], "rb").read() if item.filename == name else src.read(item.filename))
PY
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar"
run() {  # label native-jar preset sweep [env...]
  local label=$1 jar=$2 preset=$3 sweep=$4; shift 4
  env "$@" timeout 150 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-$label -cp "$common:$jar" dev.flashmoe.bench.Main \
    --backend cuda --preset $preset --sweep $sweep --copy-tbps 4.235 --matmul-tflops 892.5 --out $r/o-$label-$preset-$RANDOM \
    > $r/$label-$preset.txt 2>&1
  echo "$label $preset exit $?"; grep -E "^ *[0-9]+ +[0-9.]+ " $r/$label-$preset.txt | awk -v l=$label -v p=$preset '{print "  " l " " p " T=" $1 " forward " $2 " router " $(NF-1)}'
  cat $r/$label-$preset.txt >> $r/all-runs.txt
}
for round in 1 2; do
  run base $w/base/flashmoe-native.jar qwen3-30b-a3b 1,8,64,256,1024,4096
  run new $b/lib/flashmoe-native.jar qwen3-30b-a3b 1,8,64,256,1024,4096
  run nocluster $b/lib/flashmoe-native.jar qwen3-30b-a3b 1,8,64,256,1024,4096 FLASHMOE_DISABLE_ROUTER_CLUSTER=1
  run base $w/base/flashmoe-native.jar deepseek-v3 1
  run new $b/lib/flashmoe-native.jar deepseek-v3 1
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "^router|FAIL" $w/out/native.log | head -30
cp $r/all-runs.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
