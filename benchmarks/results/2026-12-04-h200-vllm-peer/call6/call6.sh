#!/usr/bin/env bash
# call6 (2026-12-04, session 7): item 57 on the other shapes, and issue 4's points with it. The benchmark jar (graph
# replays; ceilings given: copy 4.235 TB/s, matmul 892.5 TFLOP/s, measured in call2) with base (d4d15b1's library,
# swapped into a copy of the native jar) and new (the working tree's) for paper T = 1024-16384 and Mixtral T = 1024,
# 8192, alternated twice; then new's preset sweeps of every point (ceilings measured in each run).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
r=$w/r; mkdir -p $r $w/base
python3 - $b/lib/flashmoe-native.jar $n/ab/base/libflashmoe.so $w/base/flashmoe-native.jar <<'PY'
import sys, zipfile
name = "dev/flashmoe/cuda/internal/linux-x86_64/libflashmoe.so"
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[3], "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        dst.writestr(item, open(sys.argv[2], "rb").read() if item.filename == name else src.read(item.filename))
PY
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar"
run() {  # label native-jar preset sweep [extra...]
  local label=$1 jar=$2 preset=$3 sweep=$4; shift 4
  timeout 150 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-$label -cp "$common:$jar" dev.flashmoe.bench.Main \
    --backend cuda --preset $preset --sweep $sweep "$@" --out $r/o-$label-$preset-$RANDOM > $r/$label-$preset.txt 2>&1
  echo "$label $preset exit $?"; grep -E "^ *[0-9]+ +[0-9.]+ " $r/$label-$preset.txt | awk -v l=$label -v p=$preset '{print "  " l " " p " T=" $1 " " $2 " ms"}'
}
ceil=(--copy-tbps 4.235 --matmul-tflops 892.5)
for round in 1 2; do
  run base $w/base/flashmoe-native.jar paper 1024,4096,16384 "${ceil[@]}"
  run new $b/lib/flashmoe-native.jar paper 1024,4096,16384 "${ceil[@]}"
  run base $w/base/flashmoe-native.jar mixtral-8x7b 1024,8192 "${ceil[@]}"
  run new $b/lib/flashmoe-native.jar mixtral-8x7b 1024,8192 "${ceil[@]}"
done
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "deepseek-v3 1,64,1024" "qwen3-235b-a22b 1,1024"; do
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout 120 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-new -cp "$common:$b/lib/flashmoe-native.jar" \
    dev.flashmoe.bench.Main --backend cuda --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
cp $r/sweeps.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
