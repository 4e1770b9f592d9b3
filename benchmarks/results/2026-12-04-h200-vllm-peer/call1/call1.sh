#!/usr/bin/env bash
# call1 (2026-12-04, session 7): issue 4's peers on this H200 and the GPU check of HEAD (d4d15b1).
# 1. vLLM 0.34.0's Triton fused-MoE kernels with vLLM's configs (benchmarks/peers/vllm_triton_moe.py; kernel source
#    and configs from the vLLM wheel, carried in .bundle/vllm, never committed), issue 4's presets + DeepSeek-V3 and
#    Qwen3-235B-A22B; 2. PyTorch permute + torch._grouped_mm (benchmarks/peers/torch_grouped_gemm.py), the same points,
#    now with the output checked; 3. the GPU check: JUnit GPU tests, native tests, compute-sanitizer.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
all=qwen3-30b-a3b,paper,mixtral-8x7b,deepseek-v3,qwen3-235b-a22b
echo "== vllm"; PYTHONUNBUFFERED=1 timeout 240 python3 benchmarks/peers/vllm_triton_moe.py \
  --vllm-moe-dir $b/vllm/vllm/model_executor/layers/fused_moe --presets $all > $w/vllm.txt 2>&1; echo "vllm exit $?"
grep -v '^ ' $w/vllm.txt | tail -30
echo "== torch"; PYTHONUNBUFFERED=1 timeout 150 python3 benchmarks/peers/torch_grouped_gemm.py --presets $all > $w/torch.txt 2>&1
echo "torch exit $?"; tail -22 $w/torch.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $w/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
cp $w/vllm.txt $w/torch.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz vllm.txt torch.txt check.txt out 2>/dev/null); ls -la $OUT
