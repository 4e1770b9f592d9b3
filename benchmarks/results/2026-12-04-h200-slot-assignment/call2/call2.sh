#!/usr/bin/env bash
# call2 (2026-12-04, session 4): item 43 (route loads batched, offsets in shared memory, no CAS retries, batched
# OS scan). Qwen3 A/B base (71cce4e's library) / new (default 2048-route chunks) / c1024 / c512, 3 rounds; traces of
# the slot assignment (the ROUTING event) at T = 1, 64, 256, 1024, 4096, 16384 and with 512-route chunks at 1024 and
# 16384; full GPU check of the new library.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 330 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n c1024=$n,FLASHMOE_ROUTES_PER_CHUNK=1024 c512=$n,FLASHMOE_ROUTES_PER_CHUNK=512 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "1:" "64:" "256:" "1024:" "4096:" "16384:" "1024:512" "16384:512"; do
  t=${spec%%:*}; c=${spec#*:}
  echo "== trace qwen3 T=$t chunk=${c:-default}"
  FLASHMOE_ROUTES_PER_CHUNK=$c timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t-$c > $r/trace-$t-$c.txt 2>&1
  grep -E "phases T=" $r/trace-$t-$c.txt | sed 's/; PUSH_GEMM1.*//'
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "settings|FAIL" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
