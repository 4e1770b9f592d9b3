#!/usr/bin/env bash
# Drafted in session 35, not run (no device time was left). Do item 88's prefetched W_down lines survive until GEMM1
# reads them, and does an evict-last policy keep them (item 128)? perf-notes item 127: with or without the prefetch,
# Qwen3 T = 1's GEMM1 tail is ~14 us (about its 25 MB at the ~2.3 TB/s stream rate), and the prefetch costs the GEMM0
# phase ~2 us.
# The bundle: built in session 35 as /tmp/bundle-s35-p128 (copy it to .bundle if it survived); else (~5 min here),
# from the repository root on a clean main:
#   git checkout -b tmp/p128 && git apply benchmarks/results/2026-12-07-s35/item-128.patch
#   mvn -B -q -o -DskipTests install
#   bash tools/build-ab-libs.sh /tmp/abmain main=main   # main's sm_90a library, native/ab/main in the bundle
#   BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/tmp/abmain bash tools/gpu-bundle.sh
#   git checkout -f main && git branch -D tmp/p128      # .bundle (ignored) stays
# (the bundle's own library, fused_test and flashmoe_smoke are item 128's; with FLASHMOE_GEMM1_L2_PREFETCH at its
# default 1 the library runs main's code but for a branch in the out-of-line prefetch_gemm1_share).
# 1. ncu's DRAM bytes of one Qwen3 T = 1 forward: prefetch on (1), off (0), evict-last (2), evict-last with a 26 MB
#    persisting set-aside; paper T = 1 on and off. Predicted: if the lines are evicted before GEMM1 reads them (the GEMM0 stream beside
#    them is 50 MB), 1 reads ~25 MB more than 0 (Qwen3 T = 1: ~100 against ~76 MB) and 2 with the set-aside reads
#    about what 0 does; if they survive, 0 and 1 read the same and GEMM1's tail is not its weights' bytes (then a GEMM1
#    task's stamps in the layer are next).
# 2. The A/B, 3 rounds: main, p128 (= 1), p128 with 2, p128 with 2 and the set-aside, at the one-token points.
#    Predicted: p128 = main within +-0.5 %; evict-last without the set-aside = main (the policy needs it); with it, if
#    the lines survive only so, Qwen3 T = 1 -3 to -8 % (a GEMM1 tail of ~14 us from the L2 in ~5-6).
# 3. The native GPU check of item 128 (fused_test's l2-prefetch cases now compare 2 against 0 bitwise too).
# run(carry=[".bundle"], timeout_s=590, command="CALL_SECONDS=580 bash benchmarks/results/2026-12-07-s35/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
persist=FLASHMOE_PERSISTING_L2_BYTES=27262976  # 26 MiB: Qwen3 T = 1's W_down share is 25.2 MB
# The tree's ncu-evidence.sh (NCU_EXTRA_METRICS, session 35) over the bundle's older copy; the L2's read hits and
# misses tell evicted lines (more misses, more DRAM bytes) from dropped prefetches (neither moves) from surviving ones
# (more hits, fewer DRAM bytes).
cp tools/ncu-evidence.sh .bundle/ncu-evidence.sh
export NCU_EXTRA_METRICS=lts__t_sectors_op_read_lookup_hit.sum,lts__t_sectors_op_read_lookup_miss.sum
NCU_EXTRA_METRICS+=,lts__t_sectors_srcunit_tex_op_read_lookup_hit.sum,lts__t_sectors_srcunit_tex_op_read_lookup_miss.sum
for run in qwen3-30b-a3b:on qwen3-30b-a3b:off qwen3-30b-a3b:evl qwen3-30b-a3b:evl-persist paper:on paper:off; do
  preset=${run%%:*}; v=${run#*:}
  case $v in
    on) env_set=() ;;
    off) env_set=(FLASHMOE_GEMM1_L2_PREFETCH=0) ;;
    evl) env_set=(FLASHMOE_GEMM1_L2_PREFETCH=2) ;;
    evl-persist) env_set=(FLASHMOE_GEMM1_L2_PREFETCH=2 $persist) ;;
  esac
  [ $(left) -gt 400 ] || { echo "== ncu $preset $v skipped ($(left) s left)"; continue; }
  echo "== ncu $preset T=1 $v"
  mkdir -p $OUT/ncu-$v
  env "${env_set[@]}" OUT=$OUT/ncu-$v NCU_PRESET=$preset NCU_TOKENS=1 bash .bundle/ncu-evidence.sh 2>&1 |
    grep -E "ncu exit|no metric|dram__bytes|gpu__time|lts__t_bytes|lts__t_sectors"
done
main=$(ab_lib main)
ab s36l2 3 200 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- main=$main p128=bundle \
  evl=bundle,FLASHMOE_GEMM1_L2_PREFETCH=2 "evlp=bundle,FLASHMOE_GEMM1_L2_PREFETCH=2,$persist"
check native sanitizer
echo "== done ($(left) s left)"
