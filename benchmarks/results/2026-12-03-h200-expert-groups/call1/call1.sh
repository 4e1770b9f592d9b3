#!/usr/bin/env bash
# call1 (2026-12-03, session 3): item 31, row tiles of one expert released together (groups of up to 16), tasks
# interleaved. Native tests (fused_test's groups cases), A/B of group sizes 1 (the old order) / 4 / 16 (default),
# ncu DRAM bytes of Mixtral T = 1024 and Qwen3 T = 1024 at group 1 and 16, preset sweeps at group 16 and 1.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== native"; mkdir -p $w/out; OUT=$w/out NATIVE_TIMEOUT=110 bash $b/run-gpu-check.sh native > $OUT/check.txt 2>&1
echo "native exit $?"; cat $w/out/summary.txt; cp $w/out/native.log $OUT/; grep -E "^groups|FAIL" $w/out/native.log | head -20
echo "== A/B"; ROUNDS=2 timeout 150 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,4096,16384 g1=$n,FLASHMOE_EXPERT_GROUP_TILES=1 g16=$n g4=$n,FLASHMOE_EXPERT_GROUP_TILES=4 > $OUT/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
echo "== ncu"
for spec in mixtral-8x7b:1024 qwen3-30b-a3b:1024; do for g in 1 16; do
  p=${spec%%:*}; t=${spec##*:}
  FLASHMOE_EXPERT_GROUP_TILES=$g timeout 90 $ncu --clock-control none --target-processes all -k regex:moe_forward --launch-count 1 \
    --metrics gpu__time_duration.sum,dram__bytes_read.sum,lts__t_bytes.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed --csv \
    "${bench[@]}" --preset $p --tokens $t --warmup 0 --iters 1 --check-tokens 4 --copy-tbps 4.2 --matmul-tflops 890 > $OUT/ncu-$p-$t-g$g.csv 2>&1
  echo "$p T=$t g=$g ncu exit $?"; grep -E '"(gpu__time|dram__|lts__)' $OUT/ncu-$p-$t-g$g.csv | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"'
done; done
for g in 16 1; do for p in mixtral-8x7b paper qwen3-30b-a3b; do
  echo "== sweep $p g$g"; FLASHMOE_EXPERT_GROUP_TILES=$g timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p-g$g >> $OUT/sweeps-g$g.txt 2>&1; echo "exit $?"
done; sed -n '/T  median/,/timing/p' $OUT/sweeps-g$g.txt; done
(cd $w && tar czf $OUT/all.tar.gz out s-* 2>/dev/null)
