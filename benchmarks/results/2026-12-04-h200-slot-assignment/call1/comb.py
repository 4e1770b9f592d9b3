import json, sys, statistics as st
for path in sys.argv[1:]:
    ev = [e for e in json.load(open(path))['traceEvents'] if e.get('ph') == 'X']
    g1 = [e for e in ev if e['name'] == 'GEMM1']; co = [e for e in ev if e['name'] == 'COMBINE']
    g1end = max(e['ts'] + e['dur'] for e in g1)
    before = [e['dur'] for e in co if e['ts'] < g1end]; after = [e['dur'] for e in co if e['ts'] >= g1end]
    print(path, 'GEMM1 ends %.0f; COMBINE %d: before %d (median %.1f), after %d (median %.1f); span %.0f..%.0f' % (
        g1end, len(co), len(before), st.median(before) if before else 0, len(after), st.median(after) if after else 0,
        min(e['ts'] for e in co), max(e['ts'] + e['dur'] for e in co)))
    # combine duration by 100-us bins
    bins = {}
    for e in co: bins.setdefault(int(e['ts'] // 100), []).append(e['dur'])
    print('  ', ' '.join('%d:%d/%.0f' % (k * 100, len(v), st.median(v)) for k, v in sorted(bins.items())))
    wait = [e for e in ev if e['name'] == 'WAIT' and e['ts'] > g1end - 500]
    print('   waits in the last 0.5 ms+: total %.0f us over %d' % (sum(e['dur'] for e in wait), len(wait)))
