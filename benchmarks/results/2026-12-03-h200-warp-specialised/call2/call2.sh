#!/usr/bin/env bash
# call2 (2026-12-03): why the warp-specialised loop is slower. Diagnostic builds (FLASHMOE_KSTEP_PROFILE=10: clock64
# split per block of launch 10: consumer full-wait and MMA+wait_group per k-step, producer empty-wait and issue per
# stage, producer job wait) with mbarrier.try_wait (diag) and test_wait (diag2), Qwen3 T = 1, 64, 1024, 16384; then
# the A/B base (64f0f8d) / new (WS, try_wait) / tw (WS, test_wait), no profiling.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"; tar -xJf $b/extra.tar.xz -C $w
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
for v in diag diag2; do for t in 1 64 1024 16384; do
  LD_LIBRARY_PATH=$w/extra/$v timeout 60 $n/gemm_tile_test --sweep-only --fused-only --tokens $t > $w/$v-$t.txt 2>&1
  echo "$v T=$t exit $? $(grep -c '^kstep' $w/$v-$t.txt) lines; $(grep sweep $w/$v-$t.txt)"
done; done
(cd $w && tar czf $OUT/kstep.tar.gz diag-*.txt diag2-*.txt)
for v in diag diag2; do for t in 1 64 1024 16384; do
  awk -v v=$v -v t=$t '/^kstep/{c++; for(i=3;i<=12;i++)s[i]+=$i} END{printf "%s T=%s G0 wait %.0f mma %.0f (n %d) G1 wait %.0f mma %.0f (n %d) | P empty %.0f issue %.0f per stage (n %d), job wait %.0f us/block\n", v,t, s[3]/s[5],s[4]/s[5],s[5], s[6]/(s[8]+1e-9),s[7]/(s[8]+1e-9),s[8], s[9]/s[11],s[10]/s[11],s[11], s[12]/c/1980}' $w/$v-$t.txt
done; done
echo "== A/B"; ROUNDS=2 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,16384 base=$n/ab/base new=$n tw=$w/extra/tw > $OUT/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $OUT/ab.txt
