#!/usr/bin/env bash
# Drafted in session 35, not run (no device time was left): do item 88's prefetched W_down lines survive until GEMM1
# reads them? (perf-notes item 127: with or without the prefetch, Qwen3 T = 1's GEMM1 tail is ~14 us, about its 25 MB
# at the ~2.3 TB/s stream rate, and the prefetch costs the GEMM0 phase ~2 us.) ncu's DRAM bytes of one forward of
# Qwen3 and paper T = 1 with the prefetch on (default), off, and with item 114's off too.
# Predicted: if the lines are evicted before GEMM1 (the GEMM0 stream beside them is 50 MB), the default reads
# ~25 MB more from DRAM than FLASHMOE_GEMM1_L2_PREFETCH=0 (Qwen3 T = 1: ~100 against ~76 MB); if they survive, the
# same ~76 MB, and GEMM1's tail is not its weights' bytes (then a GEMM1 task's stamps in the layer are next).
# Needs any full bundle of main (no build): /tmp/bundle-s34-full or `mvn -B -q -o -DskipTests install && bash
# tools/gpu-bundle.sh`.
# run(carry=[".bundle"], timeout_s=300, command="CALL_SECONDS=290 bash benchmarks/results/2026-12-07-s35/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
for preset in qwen3-30b-a3b paper; do
  for v in default nol2 nol2-dp0; do
    case $v in
      default) env_set=() ;;
      nol2) env_set=(FLASHMOE_GEMM1_L2_PREFETCH=0) ;;
      nol2-dp0) env_set=(FLASHMOE_GEMM1_L2_PREFETCH=0 FLASHMOE_DECODE_PREFETCH_STEPS=0) ;;
    esac
    [ $(left) -gt 40 ] || { echo "== $preset $v skipped ($(left) s left)"; continue; }
    echo "== $preset T=1 $v"
    mkdir -p $OUT/ncu-$v
    env "${env_set[@]}" OUT=$OUT/ncu-$v NCU_PRESET=$preset NCU_TOKENS=1 bash .bundle/ncu-evidence.sh 2>&1 |
      grep -E "ncu exit|dram__bytes|gpu__time|lts__t_bytes"
  done
done
echo "== done ($(left) s left)"
