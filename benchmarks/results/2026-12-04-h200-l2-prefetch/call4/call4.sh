#!/usr/bin/env bash
# call4 (2026-12-04, session 8): the launch-shape settings re-measured after items 57-58 (no code change; HEAD 5cd43cb).
# 1. gemm_tile_test's Qwen3 sweep T = 64 .. 16384 (2 rounds) and 2. the benchmark jar's paper and Mixtral points
# (graph replays, ceilings given; 1 round) under: the defaults; FLASHMOE_PAIR_GEMM0_GROUP_TASKS = 128 and 0 (pairs
# where a group's GEMM0 tasks number >= 128, or every pairable group); FLASHMOE_TASKS_PER_PROCESSOR = 2 and 8;
# FLASHMOE_EXPERT_GROUP_TILES = 8 and 32. 3. The full GPU check of HEAD.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
variants=(def= pg128=FLASHMOE_PAIR_GEMM0_GROUP_TASKS=128 pg0=FLASHMOE_PAIR_GEMM0_GROUP_TASKS=0
          tpp2=FLASHMOE_TASKS_PER_PROCESSOR=2 tpp8=FLASHMOE_TASKS_PER_PROCESSOR=8
          gt8=FLASHMOE_EXPERT_GROUP_TILES=8 gt32=FLASHMOE_EXPERT_GROUP_TILES=32)
ab=(); for v in "${variants[@]}"; do label=${v%%=*}; setting=${v#*=}; ab+=("$label=$n${setting:+,$setting}"); done
echo "== A/B"; ROUNDS=2 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 64,256,1024,4096,16384 "${ab[@]}" > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
for v in "${variants[@]}"; do
  label=${v%%=*}; setting=${v#*=}
  for spec in "paper 1024,4096,16384" "mixtral-8x7b 1024,8192"; do
    set -- $spec
    env $setting timeout 100 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$common" dev.flashmoe.bench.Main \
      --backend cuda --preset $1 --sweep $2 --copy-tbps 4.235 --matmul-tflops 892.5 --out $r/o-$label-$1 > $r/$label-$1.txt 2>&1
    echo "$label $1 exit $?"; grep -E "^ *[0-9]+ +[0-9.]+ " $r/$label-$1.txt | awk -v l=$label -v p=$1 '{print "  " l " " p " T=" $1 " " $2 " ms"}'
    cat $r/$label-$1.txt >> $r/bench-runs.txt
  done
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|^router bf16 softmax renorm=1 k= 8 T=   1|^router bf16 sigmoid renorm=1 k= 8 T=   3" $w/out/native.log | head -20
cp $r/ab.txt $r/bench-runs.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
