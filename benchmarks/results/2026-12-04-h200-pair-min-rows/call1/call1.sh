#!/usr/bin/env bash
# call1 (session 9): the branch next/pair-min-rows (d0a0146 + FLASHMOE_PAIR_MIN_ROWS; its defaults run d0a0146's
# kernel path). 1. A/B of the pairing rules: def (groups of 3+ tiles pair), t2 (every group of 2+ tiles), t2rN (2+
# tiles, a ragged even group's last tile pairs only with N or more valid rows), d48 (3+ tiles with min rows 48):
# gemm_tile_test's Qwen3 T = 1024, 4096 (3 rounds) and the benchmark jar's paper T = 4096 (2 rounds).
# 2. The full GPU check (first GPU run of f033357's OS-block review and of the branch).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
variants=(def= t2=FLASHMOE_PAIR_GROUP_TILES=2 t2r32=FLASHMOE_PAIR_GROUP_TILES=2,FLASHMOE_PAIR_MIN_ROWS=32
          t2r48=FLASHMOE_PAIR_GROUP_TILES=2,FLASHMOE_PAIR_MIN_ROWS=48 t2r64=FLASHMOE_PAIR_GROUP_TILES=2,FLASHMOE_PAIR_MIN_ROWS=64
          d48=FLASHMOE_PAIR_MIN_ROWS=48)
ab=(); bab=(); for v in "${variants[@]}"; do l=${v%%=*}; s=${v#*=}; ab+=("$l=$n${s:+,$s}"); bab+=("$l=bundle${s:+,$s}"); done
echo "== A/B gemm_tile_test"; ROUNDS=3 timeout 200 bash tools/run-ab.sh $n/gemm_tile_test 1024,4096 "${ab[@]}" > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
echo "== A/B bench jar"; OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout 260 bash tools/run-bench-ab.sh "paper 4096" -- "${bab[@]}" > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/median/,$p' $r/bench-ab.txt | tail -12; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|ragged" $w/out/native.log | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null); ls -la $OUT
