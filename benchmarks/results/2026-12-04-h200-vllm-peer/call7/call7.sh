#!/usr/bin/env bash
# call7 (2026-12-04, session 7): item 57 on the large-expert shapes, whose call6 sweeps were 3-5 % above call2's
# (another machine): the benchmark jar (as call6) with base / new alternated twice, DeepSeek-V3 T = 1, 64, 1024 and
# Qwen3-235B-A22B T = 1, 1024.
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
  run base $w/base/flashmoe-native.jar deepseek-v3 1,64,1024 "${ceil[@]}"
  run new $b/lib/flashmoe-native.jar deepseek-v3 1,64,1024 "${ceil[@]}"
  run base $w/base/flashmoe-native.jar qwen3-235b-a22b 1,1024 "${ceil[@]}"
  run new $b/lib/flashmoe-native.jar qwen3-235b-a22b 1,1024 "${ceil[@]}"
done
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
