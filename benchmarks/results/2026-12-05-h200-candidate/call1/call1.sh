#!/usr/bin/env bash
# DRAFT for the next session's first device call (sessions 10-11 wrote it; not run). Bundle: on branch next/candidate,
#   bash tools/build-ab-libs.sh /tmp/ab main=main && BUNDLE_AB_LIBS=/tmp/ab bash tools/gpu-bundle.sh
#   cp /work/notes/next-call1.sh .bundle/call1.sh ; run(carry=[".bundle"], command="bash .bundle/call1.sh")
# 1. The GPU check of next/candidate (main + router-phase2 + wgmma-steps + swap-ab + early-weights + narrow-gemm1 + swap-ring:
#    perf-notes items 66-74).
# 2. gemm_tile_test: the tiles against fp64 (items 71, 74: decode cases), then --time (decode and ring-depth lines).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=180 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|swap-ab|narrow-gemm1|compact-rows|EARLY_WEIGHTS|nanSelection|countsExact" $w/out/*.log | head -30
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
# Triage: if fused_test failed, which item's switch makes it pass (item 70 and the router have no switch; the
# all-off run fails too if the cause is one of them or main's code).
if ! grep -q "^fused_test exit 0$" $w/out/native.log 2>/dev/null && [ -x $n/fused_test ]; then
  for s in FLASHMOE_DISABLE_SWAP_AB FLASHMOE_DISABLE_EARLY_WEIGHTS FLASHMOE_DISABLE_NARROW_GEMM1 all; do
    [ $(left) -gt 120 ] || break
    if [ $s = all ]; then e="FLASHMOE_DISABLE_SWAP_AB=1 FLASHMOE_DISABLE_EARLY_WEIGHTS=1 FLASHMOE_DISABLE_NARROW_GEMM1=1"
    else e="$s=1"; fi
    env $e timeout --kill-after=5 60 $n/fused_test --quick --timeout-ms 20000 > $OUT/triage-$s.log 2>&1
    echo "triage $s: fused_test --quick exit $?"; grep -E "FAIL|TIMEOUT" $OUT/triage-$s.log | head -5
  done
fi
echo "== gemm_tile_test --time ($(left) s left)"
LD_LIBRARY_PATH=$n timeout $(( $(left) - 75 )) $n/gemm_tile_test --time > $OUT/tile.log 2>&1
echo "gemm_tile_test exit $?"; grep -E "FAIL|decode|PASS" $OUT/tile.log | head -60
ls -la $OUT
# The gather probe (perf-notes Next steps 6), seconds, last and in its own process: a refused one-row TMA copy would
# kill the CUDA context.
if [ $(left) -gt 60 ]; then
  LD_LIBRARY_PATH=$n timeout 45 $n/gemm_tile_test --gather-probe > $OUT/gather-probe.log 2>&1
  echo "gather probe exit $?"; tail -4 $OUT/gather-probe.log
fi
