# Processors busy per kind in time windows of a trace JSON (us from the launch start): python3 occ.py TRACE.json [WINDOW_US]
import json,sys,collections
d=json.load(open(sys.argv[1]));ev=d['traceEvents'] if isinstance(d,dict) else d
X=[e for e in ev if e.get('ph')=='X' and e.get('pid')==0]
kinds=collections.Counter(e['name'] for e in X)
print(kinds)
step=float(sys.argv[2]) if len(sys.argv)>2 else 5
end=max(e['ts']+e['dur'] for e in X)
t=0
while t<end:
    c=collections.Counter()
    for e in X:
        if e['tid']==0 and e['name']=='ROUTING': continue
        ov=min(e['ts']+e['dur'],t+step)-max(e['ts'],t)
        if ov>0: c[e['name']]+=ov/step
    print(f"{t:7.1f} "+" ".join(f"{k}:{v:6.1f}" for k,v in sorted(c.items())))
    t+=step
