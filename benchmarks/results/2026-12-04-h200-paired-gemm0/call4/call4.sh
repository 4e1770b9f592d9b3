#!/usr/bin/env bash
# call4 (2026-12-04): item 33 diagnosis: trace JSON (every task's start, end, SM) for paper T = 4096 and Qwen3 T = 16384,
# pairs on and off; ncu L2 hit rate and DRAM sectors at paper T = 4096.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "paper 4096" "qwen3-30b-a3b 16384"; do
  set -- $spec
  for v in pair nopair; do
    envs=(); [ $v = nopair ] && envs=(FLASHMOE_DISABLE_PAIR_GEMM0=1)
    echo "== trace $1 T=$2 $v"
    env "${envs[@]}" timeout 60 "${bench[@]}" --preset $1 --tokens $2 --trace --iters 20 --out $w/t-$1-$2-$v > $r/trace-$1-$2-$v.txt 2>&1
    grep -E "^ *$2 |trace T=|phases T=" $r/trace-$1-$2-$v.txt
  done
done
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
metrics="gpu__time_duration.sum,dram__sectors_read.sum,lts__t_sector_hit_rate.pct,lts__t_sectors_srcunit_tex_op_read.sum,lts__t_sectors_srcunit_tex_op_read_lookup_hit.sum,lts__t_sectors_srcunit_tex_op_read_lookup_miss.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed"
for v in pair nopair; do
  envs=(); [ $v = nopair ] && envs=(FLASHMOE_DISABLE_PAIR_GEMM0=1)
  echo "== ncu paper T=4096 $v"
  env "${envs[@]}" timeout 120 "$ncu" --clock-control none --target-processes all -k regex:moe_forward --launch-count 1 \
    --metrics "$metrics" --csv "${bench[@]}" --preset paper --tokens 4096 --warmup 0 --iters 1 --check-tokens 4 \
    --copy-tbps 3 --matmul-tflops 890 > $r/ncu-$v.csv 2> $r/ncu-$v.err
  grep -E '"(gpu__time|dram__|sm__|lts__|l1tex)' $r/ncu-$v.csv | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"'
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); ls -la $OUT
