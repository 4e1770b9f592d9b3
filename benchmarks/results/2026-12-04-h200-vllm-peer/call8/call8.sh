#!/usr/bin/env bash
# call8 (2026-12-04, session 7): DIAGNOSTIC after item 57 (the library of 7e687c7): ncu source counters (warp stall
# samples per SASS instruction) of one fused launch at Qwen3 T = 1024 and 4096 (gemm_tile_test's sweep, launch 11),
# summarised on the machine: samples and stall reasons per function, and per 256-instruction region of each GEMM task.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"; r=$w/r; mkdir -p $r
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
for t in 1024 4096; do
  LD_LIBRARY_PATH=$n timeout 150 $ncu --clock-control none -k regex:moe_forward --launch-skip 10 --launch-count 1 \
    --section SourceCounters -o $r/src-T$t $n/gemm_tile_test --sweep-only --fused-only --tokens $t > $r/src-T$t.log 2>&1
  echo "== T=$t: ncu exit $?"
  $ncu --import $r/src-T$t.ncu-rep --page source --csv --print-source sass > $r/src-T$t.csv 2> /dev/null
  python3 - $r/src-T$t.csv <<'PY' | tee $r/summary-T$t.txt
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
secs = []; cur = None
for r in rows:
    if r and r[0] == 'Kernel Name': cur = {'name': r[1], 'rows': []}; secs.append(cur); continue
    if r and r[0] == 'Address': cur['hdr'] = r; continue
    if cur is not None and 'hdr' in cur and len(r) == len(cur['hdr']): cur['rows'].append(r)
def num(v):
    try: return float(v.replace(',', ''))
    except ValueError: return 0.0
grand = sum(sum(num(r[s['hdr'].index('Warp Stall Sampling (All Samples)')]) for r in s['rows']) for s in secs)
for s in secs:
    h = s['hdr']; a = h.index('Warp Stall Sampling (All Samples)'); ie = h.index('Instructions Executed')
    reasons = [x for x in h if x.startswith('stall_') and 'Not Issued' not in x]
    tot = {x: sum(num(r[h.index(x)]) for r in s['rows']) for x in reasons}; T = sum(tot.values()) or 1
    print(f"{s['name'][:70]}: {len(s['rows'])} instr, {100*T/grand:.1f} % of samples: " +
          " ".join(f"{k[6:]}={100*v/T:.0f}%" for k, v in sorted(tot.items(), key=lambda kv: -kv[1]) if v / T > 0.02))
    if 'task' not in s['name']: continue
    ni = h.index('stall_no_inst'); R = s['rows']
    for b in range(0, len(R), 256):
        seg = R[b:b + 256]; smp = sum(num(x[a]) for x in seg)
        if smp < 0.01 * T: continue
        ops = {}
        for x in seg:
            if num(x[ie]) > 0:
                op = x[1].split()[1] if x[1].strip().startswith('@') else x[1].split()[0]; ops[op] = ops.get(op, 0) + 1
        print(f"   [{b:5d}] {100*smp/T:5.1f} % of the function, no_inst {sum(num(x[ni]) for x in seg):5.0f}, "
              f"{sum(1 for x in seg if num(x[ie]) > 0)} executed: {sorted(ops.items(), key=lambda kv: -kv[1])[:6]}")
PY
done
(cd $w && tar czf $OUT/all.tar.gz r/*.csv r/*.txt r/*.log 2>/dev/null); ls -la $OUT
