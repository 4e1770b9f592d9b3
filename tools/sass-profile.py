#!/usr/bin/env python3
# Coarse profile of an ncu source page (ncu -i REP --page source --csv --print-source sass | gzip > F.csv.gz):
# per block of N SASS instructions, the share of stall samples and executed instructions, the commonest opcodes and
# stall reasons.  python3 tools/sass-profile.py F.csv.gz [N]
import csv,gzip,sys,collections,re
rows=list(csv.reader(gzip.open(sys.argv[1],'rt')))
hdr=rows[1]; data=rows[2:]
iS=hdr.index("Warp Stall Sampling (All Samples)"); iE=hdr.index("Instructions Executed")
stall_cols=[i for i,h in enumerate(hdr) if h.startswith("stall_") and "Not Issued" not in h]
tot_s=sum(int(r[iS] or 0) for r in data); tot_e=sum(int(r[iE] or 0) for r in data)
print("total samples",tot_s,"instr executed",tot_e, "n",len(data))
seg=int(sys.argv[2]) if len(sys.argv)>2 else 80
for b in range(0,len(data),seg):
    ch=data[b:b+seg]
    s=sum(int(r[iS] or 0) for r in ch); e=sum(int(r[iE] or 0) for r in ch)
    if s< tot_s*0.01 and e<tot_e*0.01: continue
    ops=collections.Counter(r[1].split()[0] if not r[1].strip().startswith('@') else r[1].split()[1] for r in ch if r[1].strip())
    st=collections.Counter()
    for r in ch:
        for i in stall_cols: st[hdr[i][6:]]+=int(r[i] or 0)
    print(f"{b:5d} samp {100*s/tot_s:5.1f}% inst {100*e/tot_e:5.1f}%  ops {dict(ops.most_common(6))}  stalls {dict(st.most_common(3))}")
