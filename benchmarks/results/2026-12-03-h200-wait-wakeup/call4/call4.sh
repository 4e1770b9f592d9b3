#!/usr/bin/env bash
# call4: decode L2 prefetch of GEMM0 weights during the routing wait. A/B: runs (c9c5506) vs new with
# FLASHMOE_DECODE_PREFETCH_MB=0/12/24(default)/40; traces T=1,8 (default); fused_test (correctness with prefetch on).
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
echo "== fused_test"; LD_LIBRARY_PATH=$n timeout 120 $n/fused_test > $OUT/fused.txt 2>&1; echo "fused exit $?"; tail -2 $OUT/fused.txt
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,1024 runs=$n/ab/runs pf0=$n,FLASHMOE_DECODE_PREFETCH_MB=0 pf12=$n,FLASHMOE_DECODE_PREFETCH_MB=12 pf24=$n pf40=$n,FLASHMOE_DECODE_PREFETCH_MB=40 > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.2 --matmul-tflops 800)
for v in 24 0; do
  echo "== trace pf$v"; FLASHMOE_DECODE_PREFETCH_MB=$v timeout 60 "${bench[@]}" --sweep 1,8 --iters 5 --trace --out $w/t$v > $OUT/trace$v.txt 2>&1; echo "exit $?"
  grep -E "^ *(trace|phases) T=" $OUT/trace$v.txt | cut -c1-400
  python3 $b/diag.py $w/t$v
done
