#!/usr/bin/env bash
# call8 (2026-12-04, session 4): item 45 again at small T, 5 rounds (call7: T = 8 -2.4 % but T = 1 +3 us): Qwen3 A/B
# base44 (afd6368) / new (call7's library).
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=5 timeout 150 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64 base44=$n/ab/base44 new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null)
