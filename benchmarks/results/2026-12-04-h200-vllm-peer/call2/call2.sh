#!/usr/bin/env bash
# call2 (2026-12-04, session 7): the fused kernel and vLLM's Triton kernels on one machine.
# 1. ncu of vLLM's two fused_moe_kernel launches of one forward (the second warm-up forward) at Qwen3 T = 1, 1024,
#    16384 and Mixtral T = 1024, and of our fused kernel at Qwen3 T = 1, 1024, 16384 (ncu-evidence.sh), same metrics;
# 2. issue 4's points: the benchmark's preset sweeps (graph replays, ceilings measured per run) of HEAD's library
#    (d4d15b1), and vLLM's kernels again, on this machine.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); r=$w/r; mkdir -p $r
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
moe=$b/vllm/vllm/model_executor/layers/fused_moe
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
metrics="gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,dram__bytes_write.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active,sm__warps_active.avg.pct_of_peak_sustained_active,lts__t_bytes.sum,lts__throughput.avg.pct_of_peak_sustained_elapsed,launch__grid_size,launch__registers_per_thread,launch__shared_mem_per_block_dynamic"
for spec in "qwen3-30b-a3b 1" "qwen3-30b-a3b 1024" "qwen3-30b-a3b 16384" "mixtral-8x7b 1024"; do
  set -- $spec
  timeout 100 $ncu --clock-control none --target-processes all -k regex:fused_moe_kernel --launch-skip 2 --launch-count 2 \
    --metrics "$metrics" --csv python3 benchmarks/peers/vllm_triton_moe.py --vllm-moe-dir $moe --presets $1 --tokens $2 \
    --iters 1 --warmup 0 > $r/ncu-vllm-$1-T$2.csv 2> $r/ncu-vllm-$1-T$2.err
  echo "== ncu vllm $1 T=$2: exit $?"
  grep -E '"(gpu__time|dram__|sm__|lts__|launch__)' $r/ncu-vllm-$1-T$2.csv | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"'
done
echo "== ncu ours"; OUT=$r NCU_TOKENS="1 1024 16384" bash $b/ncu-evidence.sh
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "deepseek-v3 1,64,1024" "qwen3-235b-a22b 1,1024"; do
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout 120 "${bench[@]}" --preset $1 --sweep $2 --out $r/o-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
echo "== vllm"; PYTHONUNBUFFERED=1 timeout 200 python3 benchmarks/peers/vllm_triton_moe.py --vllm-moe-dir $moe \
  --presets qwen3-30b-a3b,paper,mixtral-8x7b,deepseek-v3,qwen3-235b-a22b > $r/vllm.txt 2>&1; echo "vllm exit $?"; grep -v '^ ' $r/vllm.txt
cp $r/vllm.txt $r/sweeps.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
