#!/usr/bin/env bash
# call3 (2026-12-04, session 8): item 61 (the GEMM epilogues specialised on whether the layer has biases). A/B, one
# machine: base (2b2d5bd = ad7e7fe's kernel) and v2 (GEMM1's and GEMM0's epilogues with kHasBias: the working tree;
# a third library, GEMM1's alone, did not fit the device tool's 64 MiB carry).
# 1. gemm_tile_test's Qwen3 sweep, 3 rounds; 2. the benchmark jar (graph replays; ceilings given) for paper T = 1024,
# 4096, 16384 and Mixtral T = 1024, 8192, 2 rounds; 3. the JUnit GPU tests of v2 (with and without biases). The
# bundle's native folder carried gemm_tile_test and base's library only (stripped; the native tests and the
# sanitizers run in a later call's full check).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 300 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base v2=$n \
  > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
for v in base; do
  mkdir -p $w/$v
  python3 - $b/lib/flashmoe-native.jar $n/ab/$v/libflashmoe.so $w/$v/flashmoe-native.jar <<'PY'
import sys, zipfile
name = "dev/flashmoe/cuda/internal/linux-x86_64/libflashmoe.so"
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[3], "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        dst.writestr(item, open(sys.argv[2], "rb").read() if item.filename == name else src.read(item.filename))
PY
done
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar"
run() {  # label native-jar preset sweep
  local label=$1 jar=$2 preset=$3 sweep=$4
  timeout 150 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-$label -cp "$common:$jar" dev.flashmoe.bench.Main \
    --backend cuda --preset $preset --sweep $sweep --copy-tbps 4.235 --matmul-tflops 892.5 --out $r/o-$label-$preset-$RANDOM \
    > $r/$label-$preset.txt 2>&1
  echo "$label $preset exit $?"; grep -E "^ *[0-9]+ +[0-9.]+ " $r/$label-$preset.txt | awk -v l=$label -v p=$preset '{print "  " l " " p " T=" $1 " " $2 " ms"}'
  cat $r/$label-$preset.txt >> $r/bench-runs.txt
}
for round in 1 2; do
  for v in base v2; do
    jar=$w/$v/flashmoe-native.jar; [ $v = v2 ] && jar=$b/lib/flashmoe-native.jar
    run $v $jar paper 1024,4096,16384
    run $v $jar mixtral-8x7b 1024,8192
  done
done
echo "== JUnit GPU tests"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 bash $b/run-gpu-check.sh tests > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
cp $r/ab.txt $r/bench-runs.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
