# Slot-assignment stamps of the diagnostic build (call1; call10 splits the chunk passes further): OS ROUTING events with tile < 0, processors' ROUTING_WAIT
# events with tile < 0; times relative to the earliest event of the launch (us).
import json, sys, statistics as st
names = {-13: 'chunk count pass', -10: 'chunk counts out + publish', -11: 'chunk wait for bases',
         -14: 'chunk bases + offsets to shared', -15: 'chunk rank pass', -12: 'chunk ranked publish',
         -20: 'OS wait for counts', -21: 'OS chunk scan', -24: 'OS offsets+metadata+bases release',
         -22: 'OS wait for ranks', -30: 'OS count (alone)', -31: 'OS offsets+metadata', -32: 'OS rank (alone)'}
for path in sys.argv[1:]:
    ev = [e for e in json.load(open(path))['traceEvents'] if e.get('ph') == 'X']
    t0 = min(e['ts'] for e in ev)
    print(path)
    rw = [e for e in ev if e['name'] == 'ROUTING_WAIT' and e.get('args', {}).get('tile', -1) == -1]
    if rw:
        starts = sorted(e['ts'] - t0 for e in rw)
        ends = sorted(e['ts'] + e['dur'] - t0 for e in rw)
        print('  processors start %.1f .. %.1f (median %.1f); routing seen %.1f .. %.1f' % (starts[0], starts[-1], st.median(starts), ends[0], ends[-1]))
    r = [e for e in ev if e['name'] == 'ROUTING' and e.get('args', {}).get('tile', -1) == -1]
    for e in r: print('  ROUTING %.1f .. %.1f' % (e['ts'] - t0, e['ts'] + e['dur'] - t0))
    for code in sorted(names, reverse=True):
        sel = [e for e in ev if e.get('args', {}).get('tile') == code and e['name'] in ('ROUTING', 'ROUTING_WAIT')]
        if not sel: continue
        d = sorted(e['dur'] for e in sel); s = sorted(e['ts'] - t0 for e in sel); en = sorted(e['ts'] + e['dur'] - t0 for e in sel)
        print('  %-36s n=%3d dur med %.1f max %.1f | start %.1f..%.1f | end %.1f..%.1f' % (names[code], len(sel), st.median(d), d[-1], s[0], s[-1], en[0], en[-1]))
    disp = [e for e in ev if e['name'] == 'DISPATCH']
    g0 = sorted(e['ts'] - t0 for e in ev if e['name'] == 'GEMM0')
    if disp: print('  dispatch ends %.1f .. %.1f; GEMM0 first %.1f, 100th %.1f; span %.1f' % (min(e['ts'] + e['dur'] for e in disp) - t0, max(e['ts'] + e['dur'] for e in disp) - t0, g0[0] if g0 else -1, g0[min(99, len(g0)-1)] if g0 else -1, max(e['ts'] + e['dur'] for e in ev) - t0))
