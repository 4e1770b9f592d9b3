# GEMM0 starts against the dispatch's end (us from the launch's first event), from a trace JSON.
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))['traceEvents'] if e.get('ph') == 'X']
t0 = min(e['ts'] for e in ev)
g0 = sorted(e['ts'] - t0 for e in ev if e['name'] == 'GEMM0')
d = max(e['ts'] + e['dur'] for e in ev if e['name'] == 'DISPATCH') - t0
r = max(e['ts'] + e['dur'] for e in ev if e['name'] == 'ROUTING') - t0
pick = [i for i in (0, 99, 199, 262) if i < len(g0)]
print('  routing ends %.1f, dispatch ends %.1f; GEMM0 #%s start %s; last event %.1f' % (
    r, d, '/'.join(str(i + 1) for i in pick), ' / '.join('%.1f' % g0[i] for i in pick), max(e['ts'] + e['dur'] for e in ev) - t0))
