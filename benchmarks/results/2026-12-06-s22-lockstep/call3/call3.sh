#!/usr/bin/env bash
# Session 22, call3. Bundle: main f4f43db, plus .bundle/diag.tar.xz (gemm_tile_test and libflashmoe.so built from
# main + cluster-pairs.patch + ../patches/cluster-pairs-diag.patch). (1) The diagnostic build: where a cluster's two
# CTAs land (placement), the multicast probe with its diagnosis modes, then the tile timings (`--time`: the paired
# tile against item 30's prototypes on this H100). (2) Session 20's call4 on main: in-kernel traces of Qwen3 T = 1,
# 1024, 4096 and paper T = 1.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
tar -xJf .bundle/diag.tar.xz -C $w
echo "== diag probe"; timeout 60 env LD_LIBRARY_PATH=$w/diag $w/diag/gemm_tile_test --mcast-probe > $OUT/probe3.txt 2>&1; echo "exit $?"
grep -E "placement|time|FAIL" $OUT/probe3.txt | head -30
echo "== tile timings"; timeout 150 env LD_LIBRARY_PATH=$w/diag $w/diag/gemm_tile_test --time > $OUT/tiles.txt 2>&1; echo "exit $?"
grep -E "^time|FAIL|PASS" $OUT/tiles.txt | head -40
cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
for spec in "qwen3-30b-a3b 1" "paper 1" "qwen3-30b-a3b 1024" "qwen3-30b-a3b 4096"; do
  set -- $spec
  [ $(left) -gt 40 ] || break
  timeout $(( $(left) - 15 < 90 ? $(left) - 15 : 90 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc \
    -cp "$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 3 --matmul-tflops 750 \
    --preset $1 --tokens $2 --trace --iters 20 --out $w/t-$1-$2 > $r/trace-$1-$2.txt 2>&1
  echo "== $1 T=$2: exit $?"; grep -vE "^\[#" $r/trace-$1-$2.txt | grep -iE "phases|span|median|busy|gemm|combine|wait" | head -20
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json t-*/*.png 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
