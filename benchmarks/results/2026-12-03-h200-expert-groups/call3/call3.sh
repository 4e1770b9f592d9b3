#!/usr/bin/env bash
# call3 (2026-12-03, session 3): items 31 + 32 (GEMM tasks out of line, GEMM1 wide pieces). GPU check (JUnit GPU
# tests, native tests with fused_test's groups and wide-gemm1 cases, sanitizers); A/B: base = item 31's library
# (groups recorded by the routing, GEMM tasks inlined), new, nowide (FLASHMOE_DISABLE_WIDE_GEMM1=1);
# ncu L2 / DRAM bytes of Mixtral T = 1024; preset sweeps (wide on, then off for Mixtral).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $r/nvidia-smi.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=120 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^(groups|wide-gemm1)|FAIL" $w/out/native.log | head -24
echo "== A/B"; ROUNDS=2 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n nowide=$n,FLASHMOE_DISABLE_WIDE_GEMM1=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
for v in wide nowide; do
  e=""; [ $v = nowide ] && e="FLASHMOE_DISABLE_WIDE_GEMM1=1"
  env $e timeout 90 $ncu --clock-control none --target-processes all -k regex:moe_forward --launch-count 1 \
    --metrics gpu__time_duration.sum,dram__bytes_read.sum,lts__t_bytes.sum --csv \
    "${bench[@]}" --preset mixtral-8x7b --tokens 1024 --warmup 0 --iters 1 --check-tokens 4 --copy-tbps 4.2 --matmul-tflops 890 > $r/ncu-mixtral-1024-$v.csv 2>&1
  echo "mixtral T=1024 $v ncu exit $?"; grep -E '"(gpu__time|dram__|lts__)' $r/ncu-mixtral-1024-$v.csv | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"'
done
for spec in mixtral-8x7b:0 paper:0 qwen3-30b-a3b:0 mixtral-8x7b:1; do
  p=${spec%%:*}; off=${spec##*:}
  echo "== sweep $p nowide=$off"; FLASHMOE_DISABLE_WIDE_GEMM1=$off timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p-$off >> $r/sweeps.txt 2>&1; echo "exit $?"
done
sed -n '/T  median/,/timing/p' $r/sweeps.txt
cp $r/ab.txt $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out s-* 2>/dev/null)
