# Reads a trace-T<T>.json of the bench (--trace) and prints the start of the launch: when the dispatch ends, when the
# OS block's dispatch subscriber pushed GEMM0 batches, when the scheduler released them, when GEMM0 started.
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
ev = [e for e in ev if e.get('ph') == 'X']
def of(name): return sorted((e for e in ev if e['name'] == name), key=lambda e: e['ts'])
de = sorted(e['ts'] + e['dur'] for e in of('DISPATCH'))
g0 = sorted(e['ts'] for e in of('GEMM0'))
pushes = of('PUSH_GEMM0'); rel = of('RELEASE'); routing = of('ROUTING')
print('  routing ends %.1f; dispatch ends %.1f .. %.1f us; GEMM0 starts: first %.1f, 10th %.1f, 100th %s' % (
    routing[0]['ts'] + routing[0]['dur'], de[0], de[-1], g0[0], g0[min(9, len(g0) - 1)],
    '%.1f' % g0[99] if len(g0) > 99 else '-'))
print('  PUSH_GEMM0: %d pushes, found %.1f .. %.1f, on the ring by %.1f; median push %.2f us' % (
    len(pushes), pushes[0]['ts'], pushes[-1]['ts'], max(e['ts'] + e['dur'] for e in pushes),
    sorted(e['dur'] for e in pushes)[len(pushes) // 2]))
gaps = [b['ts'] - a['ts'] for a, b in zip(pushes, pushes[1:])]
if gaps: print('  gaps between pushes: max %.1f us (after push %d of %d)' % (max(gaps), gaps.index(max(gaps)) + 1, len(pushes)))
limit = g0[min(99, len(g0) - 1)] + 2
print('  releases until the 100th GEMM0 (+2 us): start .. end (tasks released)')
for e in rel:
    if e['ts'] > limit: break
    print('    %.2f .. %.2f (%d)' % (e['ts'], e['ts'] + e['dur'], e['args']['tile']))
first_push = {}
for e in pushes: first_push.setdefault(round(e['ts'], 1), []).append(e['args']['tile'])
print('  push times (found, us: row tiles): ' + '; '.join('%.1f: %s' % (t, ','.join(map(str, v[:6])) + ('..%d' % len(v) if len(v) > 6 else '')) for t, v in list(first_push.items())[:30]))
