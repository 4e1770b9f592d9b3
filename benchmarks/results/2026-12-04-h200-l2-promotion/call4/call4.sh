#!/usr/bin/env bash
# call4 (2026-12-04): where the start of a mid-T launch goes (call3: at Qwen3 T = 1024 the first GEMM0 starts 26 us
# after the last dispatch). In-kernel traces of Qwen3-30B-A3B at T = 64, 256, 1024, 4096 (default), and T = 1024 with
# groups of one tile (FLASHMOE_EXPERT_GROUP_TILES=1); per trace: dispatch ends and the first GEMM0 starts.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "64 default" "256 default" "1024 default" "4096 default" "1024 group1"; do
  set -- $spec
  e=(); [ $2 = group1 ] && e=(FLASHMOE_EXPERT_GROUP_TILES=1)
  echo "== trace qwen3 T=$1 $2"
  env "${e[@]}" timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $1 --trace --iters 20 --out $w/t-$1-$2 > $r/trace-$1-$2.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$1-$2.txt
  python3 - "$w/t-$1-$2/trace-T$1.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
de = sorted(e['ts'] + e['dur'] for e in ev if e.get('name') == 'DISPATCH')
g0 = sorted(e['ts'] for e in ev if e.get('name') == 'GEMM0')
print('  dispatch ends %.1f .. %.1f us; GEMM0 starts: first %.1f, 10th %.1f, 100th %s' % (de[0], de[-1], g0[0], g0[min(9, len(g0) - 1)], '%.1f' % g0[99] if len(g0) > 99 else '-'))
PY
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); ls -la $OUT
