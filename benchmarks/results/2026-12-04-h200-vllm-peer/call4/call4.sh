#!/usr/bin/env bash
# call4 (2026-12-04, session 7): DIAGNOSTIC: stall reasons of the fused kernel (d4d15b1) at Qwen3 T = 1 and 1024
# (gemm_tile_test's sweep, launch 11): ncu's warp-state and scheduler sections, and at T = 1 the source counters
# (warp stall samples per SASS instruction), summarised on the machine (top instructions, the reasons' totals).
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"; r=$w/r; mkdir -p $r
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
for t in 1 1024; do
  LD_LIBRARY_PATH=$n timeout 120 $ncu --clock-control none -k regex:moe_forward --launch-skip 10 --launch-count 1 \
    --section WarpStateStats --section SchedulerStats --section SpeedOfLight --csv --page details \
    $n/gemm_tile_test --sweep-only --fused-only --tokens $t > $r/warpstate-T$t.csv 2> $r/warpstate-T$t.err
  echo "== T=$t warp state: exit $?"
  grep -E 'Stall|Warp Cycles|Issued|Eligible|Active Warps|No Eligible|Duration' $r/warpstate-T$t.csv | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"' | head -60
done
LD_LIBRARY_PATH=$n timeout 150 $ncu --clock-control none -k regex:moe_forward --launch-skip 10 --launch-count 1 \
  --section SourceCounters --section WarpStateStats -o $r/src-T1 $n/gemm_tile_test --sweep-only --fused-only --tokens 1 > $r/src-T1.log 2>&1
echo "== source counters T=1: exit $?"
$ncu --import $r/src-T1.ncu-rep --page source --csv --print-source sass > $r/src-T1-sass.csv 2> $r/src-T1-sass.err
echo "source page exit $?: $(wc -l < $r/src-T1-sass.csv) lines"; head -3 $r/src-T1-sass.csv | cut -c1-600
python3 - $r/src-T1-sass.csv <<'PY' > $r/src-T1-top.txt 2>&1
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = next(i for i, r in enumerate(rows) if any('Sampl' in c for c in r))
h = rows[head]; data = [r for r in rows[head + 1:] if len(r) == len(h)]
print("columns:", h)
def num(v):
    try: return float(v.replace(',', ''))
    except ValueError: return 0.0
tot = [c for c in range(len(h)) if 'Warp Stall Sampling (All' in h[c]]
col = tot[0] if tot else next(c for c in range(len(h)) if 'Sampl' in h[c])
src = next((c for c in range(len(h)) if h[c] in ('Source', 'SASS')), 1)
total = sum(num(r[col]) for r in data)
print("total samples", total, "column", h[col])
for r in sorted(data, key=lambda r: -num(r[col]))[:60]:
    print(f"{num(r[col]):8.0f} {100*num(r[col])/max(total,1):5.1f}%  {r[0][:12]:12s} {r[src][:90]}")
PY
head -75 $r/src-T1-top.txt
(cd $w && tar czf $OUT/all.tar.gz r/*.csv r/*.txt r/*.err r/*.log 2>/dev/null); cp $r/src-T1-top.txt $OUT/ 2>/dev/null; ls -la $OUT
