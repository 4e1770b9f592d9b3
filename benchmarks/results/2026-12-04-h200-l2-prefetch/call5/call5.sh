#!/usr/bin/env bash
# call5 (2026-12-04, session 8): item 62's rule (a group of 3 or more row tiles runs on pairs whatever its task count;
# the working tree). 1. gemm_tile_test's Qwen3 sweep T = 256 .. 16384, 2 rounds, and 2. the benchmark jar's paper
# T = 4096, 16384 and Mixtral T = 1024 (1 round) under: old (FLASHMOE_PAIR_GROUP_TILES = 2^30: by task count only, as
# before), new (the default, 3) and tiles2 (2: every pairable group, call4's pg0). 3. The full GPU check of new.
# 4. The preset sweeps of new (issue 4's points), as far as the device time goes.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
variants=(old=FLASHMOE_PAIR_GROUP_TILES=1073741824 new= tiles2=FLASHMOE_PAIR_GROUP_TILES=2)
ab=(); for v in "${variants[@]}"; do label=${v%%=*}; setting=${v#*=}; ab+=("$label=$n${setting:+,$setting}"); done
echo "== A/B"; ROUNDS=2 timeout 150 bash $b/run-ab.sh $n/gemm_tile_test 256,1024,4096,16384 "${ab[@]}" > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
for v in "${variants[@]}"; do
  label=${v%%=*}; setting=${v#*=}
  for spec in "paper 4096,16384" "mixtral-8x7b 1024"; do
    set -- $spec
    env $setting timeout 60 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$common" dev.flashmoe.bench.Main \
      --backend cuda --preset $1 --sweep $2 --copy-tbps 4.235 --matmul-tflops 892.5 --out $r/o-$label-$1 > $r/$label-$1.txt 2>&1
    echo "$label $1 exit $?"; grep -E "^ *[0-9]+ +[0-9.]+ " $r/$label-$1.txt | awk -v l=$label -v p=$1 '{print "  " l " " p " T=" $1 " " $2 " ms"}'
    cat $r/$label-$1.txt >> $r/bench-runs.txt
  done
done
cp $r/bench-runs.txt $OUT/
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|^pairs .*threshold 263" $w/out/native.log | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "deepseek-v3 1,64,1024" "qwen3-235b-a22b 1,1024"; do
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout 60 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$common" dev.flashmoe.bench.Main --backend cuda \
    --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  cp $r/sweeps.txt $OUT/
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
