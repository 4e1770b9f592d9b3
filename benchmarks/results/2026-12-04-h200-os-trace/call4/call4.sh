#!/usr/bin/env bash
# call4 (2026-12-04, session 3), diagnostic build (call4/release-split.patch on item 40's code): where a release's time
# goes. The scheduler records RELEASE = pop .. queue entries written, COLLECT = the fence (tile = batches popped),
# ROUTING_WAIT = the published store. Traces of Qwen3 T = 64, 1024 and 16384.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 64 1024 16384; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  python3 - $w/t-$t/trace-T$t.json <<'PY'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e.get('ph') == 'X' and e['tid'] == 0 or e.get('pid') == 1]
rel = sorted((e for e in ev if e['name'] == 'RELEASE'), key=lambda e: e['ts'])
fen = sorted((e for e in ev if e['name'] == 'COLLECT'), key=lambda e: e['ts'])
pub = sorted((e for e in ev if e['name'] == 'ROUTING_WAIT' and e.get('pid') == 0 and e['tid'] == 0), key=lambda e: e['ts'])
print('  %d releases; first 12: pop..queued us (batches, tasks) | fence us | store us' % len(rel))
prev = 0
for a, f, p in list(zip(rel, fen, pub))[:12]:
    print('    %.2f: %.2f (%d batches, %d tasks) | %.2f | %.2f' % (a['ts'], a['dur'], f['args']['tile'], a['args']['tile'] - prev, f['dur'], p['dur']))
    prev = a['args']['tile']
per = sorted(a['dur'] / max(f['args']['tile'], 1) for a, f in zip(rel, fen))
fd = sorted(f['dur'] for f in fen)
print('  per batch (queue writing): median %.3f us, max %.3f; fence median %.2f us, max %.2f' % (per[len(per)//2], per[-1], fd[len(fd)//2], fd[-1]))
PY
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); ls -la $OUT
