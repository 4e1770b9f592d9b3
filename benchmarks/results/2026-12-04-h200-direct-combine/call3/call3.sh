#!/usr/bin/env bash
# call3 (2026-12-04, session 6): item 52 (the slot assignment's route loops in batches of 4, or 1 for <= 128 routes;
# the bad-route report out of line). Qwen3 A/B, 3 rounds: base (item 51 as kept: direct COMBINE at every T) / new
# (the working tree); full GPU check of new; the benchmark's --trace at T = 1, 8 and 1024 (ROUTING events).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 230 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|DIRECT_COMBINE|trace  |timeout |routing|pairs.*split 4" $w/out/native.log | head -30
# base's native jar: the shipped one with base's libflashmoe.so in its place
python3 - "$b/lib/flashmoe-native.jar" "$w/flashmoe-native-base.jar" "$n/ab/base/libflashmoe.so" <<'PY'
import sys, zipfile
src, dst, lib = sys.argv[1:]
name = 'dev/flashmoe/cuda/internal/linux-x86_64/libflashmoe.so'
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        zout.writestr(item, open(lib, 'rb').read() if item.filename == name else zin.read(item.filename))
PY
for lib in base new; do
  native=$b/lib/flashmoe-native.jar; [ $lib = base ] && native=$w/flashmoe-native-base.jar
  cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$native:$b/lib/javacpp.jar"
  bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc-$lib -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.235 --matmul-tflops 892.484)
  echo "== trace $lib"; timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep 1,8,1024 --trace --iters 20 --out $r/t-$lib > $r/trace-$lib.txt 2>&1
  echo "bench exit $?"; grep -E "trace T=|^phases|^ +[0-9]+ +[0-9.]+ " $r/trace-$lib.txt
done
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
