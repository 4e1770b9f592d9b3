#!/usr/bin/env bash
# call2 (2026-12-03, session 2): item 25 (A boxes of 16 / 32 rows for row tiles with at most that many valid rows;
# FLASHMOE_SHORT_A_BOX_ROWS=0/16/32, default 32) on the original issue path (item 24 reverted). A/B vs f481d25 (base),
# tile tests, fused_test under each setting, traces, GPU check, ncu.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== tile tests"; LD_LIBRARY_PATH=$n timeout 90 $n/gemm_tile_test > $OUT/tile.txt 2>&1; echo "exit $?"; grep -E "FAIL|^PASS" $OUT/tile.txt | tail -3
echo "== A/B"; ROUNDS=3 timeout 260 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n r16=$n,FLASHMOE_SHORT_A_BOX_ROWS=16 r0=$n,FLASHMOE_SHORT_A_BOX_ROWS=0 > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
echo "== fused_test --quick per setting"
for r in 0 16 32 bogus; do echo "rows=$r: $(FLASHMOE_SHORT_A_BOX_ROWS=$r LD_LIBRARY_PATH=$n timeout 60 $n/fused_test --quick 2>&1 | tail -1)"; done | tee -a $OUT/tile.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 60 "${bench[@]}" --sweep 1,64,1024,16384 --iters 5 --trace --copy-tbps 4.2 --matmul-tflops 800 --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-600
echo "== check"
mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=100 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $OUT/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
echo "== ncu"; OUT=$w/ncu NCU_TOKENS="1 64 16384" timeout 150 bash $b/ncu-evidence.sh > $OUT/ncu.txt 2>&1; echo "ncu exit $?"; cat $OUT/ncu.txt
(cd $w && tar czf $OUT/all.tar.gz t/trace-T*.json out ncu 2>/dev/null)
