#!/usr/bin/env bash
# The shared start of a light device call that carries fused_test binaries alone (no bundle: a session whose device
# starts are scarce; benchmarks/results/2026-12-07-s43/next/next-call1.sh), sourced from the repository root on the
# GPU machine: `source tools/fused-test-call.sh`. Prints the GPU line (into $OUT/nvidia-smi.txt), unpacks each
# .bundle-bisect/fused_test-LABEL.xz into $w/fused_test-LABEL (md5s printed), and defines
# left: the seconds left of CALL_SECONDS (490 unless set);
# ft LABEL SECONDS ARGS...: one run, at most SECONDS, its log in $OUT/LABEL.txt; prints its exit, ok and FAIL counts
# and its first FAIL lines.
start=$(date +%s)
left() { echo $(( ${CALL_SECONDS:-490} - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader | tee $OUT/nvidia-smi.txt
w=$(mktemp -d)
for f in .bundle-bisect/fused_test-*.xz; do
  v=$(basename $f .xz); v=${v#fused_test-}
  xz -dc $f > $w/fused_test-$v && chmod +x $w/fused_test-$v
done
md5sum $w/fused_test-*
ft() {
  local label=$1 secs=$2; shift 2
  local s=$(date +%s)
  timeout $secs "$@" > $OUT/$label.txt 2>&1
  echo "== $label: exit $? in $(( $(date +%s) - s )) s ($(left) s left); $(grep -c ' ok ' $OUT/$label.txt) ok, $(grep -c FAIL $OUT/$label.txt) FAIL"
  grep FAIL $OUT/$label.txt | head -3 | cut -c1-200
}
