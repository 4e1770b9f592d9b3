import json, sys, glob, statistics as st
for f in sorted(glob.glob(sys.argv[1] + '/trace-T*.json')):
    ev = [e for e in json.load(open(f))['traceEvents'] if e.get('ph') == 'X']
    by = {}
    for e in ev: by.setdefault(e['tid'], []).append(e)
    res = {'GEMM0': [], 'GEMM1': []}
    for tid, es in by.items():
        i = 0
        while i < len(es):
            e = es[i]
            if e['args'].get('tile') == 9000 and i + 5 < len(es):
                total = round(e['dur'] * 1000)
                parts = [round(es[i + 1 + q]['dur'] * 1000) for q in range(4)]
                kind = es[i + 5]['name']
                if kind in res and total > 0: res[kind].append([p / total for p in parts] + [total])
                i += 5
            i += 1
    for k, v in res.items():
        if not v: continue
        med = [st.median(x[q] for x in v) for q in range(5)]
        print(f"{f.split('/')[-1]} {k}: {len(v)} runs, k-steps median {med[4]:.0f}; cycles per k-step (median): wait {med[0]:.0f}, mma+wait_group {med[1]:.0f}, vote {med[2]:.0f}, refill {med[3]:.0f}")
