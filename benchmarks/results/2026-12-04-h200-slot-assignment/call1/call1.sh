#!/usr/bin/env bash
# call1 (2026-12-04, session 4): the slot assignment's phases (diagnostic stamps in the trace: OS ROUTING and
# processors' ROUTING_WAIT events with tile < 0) and two A/B settings of the same library: FLASHMOE_ROUTES_PER_CHUNK
# (chunked slot assignment's chunk size, default 2048) and FLASHMOE_COMBINE_SPREAD (COMBINE releases queued strided).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "256:" "1024:" "4096:" "16384:" "1024:512" "16384:512" "16384:256"; do
  t=${spec%%:*}; c=${spec#*:}
  echo "== trace qwen3 T=$t chunk=${c:-default}"
  FLASHMOE_ROUTES_PER_CHUNK=$c timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t-$c > $r/trace-$t-$c.txt 2>&1
  grep -E "phases T=" $r/trace-$t-$c.txt
  python3 $b/rt.py $w/t-$t-$c/trace-T$t.json
done
echo "== trace qwen3 T=16384 spread"
FLASHMOE_COMBINE_SPREAD=1 timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens 16384 --trace --iters 20 --out $w/t-16384-spread > $r/trace-spread.txt 2>&1
python3 $b/comb.py $w/t-16384-/trace-T16384.json $w/t-16384-spread/trace-T16384.json
echo "== fused_test with 256-route chunks and spread combines"
FLASHMOE_ROUTES_PER_CHUNK=256 FLASHMOE_COMBINE_SPREAD=1 LD_LIBRARY_PATH=$n timeout 150 $n/fused_test > $r/fused.txt 2>&1; echo "fused_test exit $?"; tail -3 $r/fused.txt
echo "== A/B"; ROUNDS=3 timeout 360 bash $b/run-ab.sh $n/gemm_tile_test 64,256,1024,4096,16384 base=$n/ab/base d1=$n c1024=$n,FLASHMOE_ROUTES_PER_CHUNK=1024 c512=$n,FLASHMOE_ROUTES_PER_CHUNK=512 spread=$n,FLASHMOE_COMBINE_SPREAD=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); ls -la $OUT
