import json, sys, glob, statistics as st
for f in sorted(glob.glob(sys.argv[1] + '/trace-T*.json')):
    ev = [e for e in json.load(open(f))['traceEvents'] if e.get('ph') == 'X']
    os_ev = [e for e in ev if e['tid'] == 0]
    print(f.split('/')[-1], 'OS:', ' '.join(f"{e['name']}[{e['args']['tile']}] {e['ts']:.1f}+{e['dur']:.1f}" for e in os_ev[:12]))
    rw = [e for e in ev if e['name'] == 'ROUTING_WAIT']
    if rw:
        s = [e['ts'] for e in rw]; en = [e['ts'] + e['dur'] for e in rw]
        print('  ROUTING_WAIT start min/med/max %.1f %.1f %.1f end min/med/max %.1f %.1f %.1f' % (min(s), st.median(s), max(s), min(en), st.median(en), max(en)))
