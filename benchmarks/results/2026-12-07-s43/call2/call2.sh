#!/usr/bin/env bash
# Session 43 call2: which change breaks call1's check (items 155 + 156: fused_test timeouts at T >= 400 with few
# experts, ep_layer_test's ring holding float bits, the JUnit AsyncGpuTest's illegal address; synccheck's divergent
# barrier in the OS block's routing). fused_test built at three revisions (sm_90a only, from this machine's build):
#   main = c03b576 (kernel as dc2aa8a, md5 2c901cbe), r155 = next/s41-review 6516989 (item 155), s156 = 8d9569d
#   (items 155 + 156; call1's bundle's own binary)
# carried xz-packed in .bundle-bisect/. Order: main and r155 --quick (the sanitizers' subset, which holds call1's failing
# groups case), then s156 --quick with FLASHMOE_DISABLE_EARLY_GEMM1_START=1 (cut to fit the session's last ~240 s of device
# time).
# run(carry=[".bundle-bisect"], timeout_s=130, command="CALL_SECONDS=120 bash benchmarks/results/2026-12-07-s43/call2/call2.sh")
set -uo pipefail
start=$(date +%s)
left() { echo $(( ${CALL_SECONDS:-120} - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader | tee $OUT/nvidia-smi.txt
w=$(mktemp -d)
for v in main r155 s156; do xz -dc .bundle-bisect/fused_test-$v.xz > $w/fused_test-$v && chmod +x $w/fused_test-$v; done
md5sum $w/fused_test-*
ft() {  # LABEL SECONDS ARGS...: one fused_test run, its exit, summary and first FAIL lines
  local label=$1 secs=$2; shift 2
  local s=$(date +%s)
  timeout $secs "$@" > $OUT/$label.txt 2>&1
  echo "== $label: exit $? in $(( $(date +%s) - s )) s ($(left) s left); $(grep -c ' ok ' $OUT/$label.txt) ok, $(grep -c FAIL $OUT/$label.txt) FAIL"
  grep FAIL $OUT/$label.txt | head -4 | cut -c1-230
}
ft quick-main 40 $w/fused_test-main --quick --timeout-ms 1000
ft quick-r155 40 $w/fused_test-r155 --quick --timeout-ms 1000
t=$(( $(left) - 5 )); [ $t -gt 40 ] && t=40
[ $t -gt 10 ] && FLASHMOE_DISABLE_EARLY_GEMM1_START=1 ft quick-s156-off $t $w/fused_test-s156 --quick --timeout-ms 1000
(cd $OUT && tar czf call2.tar.gz *.txt && rm -f quick-*.txt full-*.txt synccheck-main.txt)
echo "== done ($(left) s left)"
