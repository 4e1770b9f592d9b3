#!/usr/bin/env bash
# Needs items-118-120.patch applied to the tree first (README.md here): none of this code is on main.
# Session 30 call1 (drafted, not run): the GPU check of the tree with items 119 (FLASHMOE_STATIC_FIRST_TICKET) and 120
# (FLASHMOE_EARLY_FIRST_STAGES), both off by default, and item 118's diagnostic build hooks
# (FLASHMOE_DIAG_COMBINE_WARM, 0 in the bundle's library); then the A/B: head = main fa3ff66's sm_90a library, new =
# the bundle's (the tree's defaults), t1 = the static first ticket, e1 = the early first weight boxes (with the static
# ticket), 2 rounds.
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/work/ab-s30/libs1 bash tools/gpu-bundle.sh
# (libs1/head: fa3ff66's csrc; CMake target flashmoe, 90a only; item 118's w2 library did not fit the carry beside it: call2).
# Its forms, by the device time left (the check's steps take the seconds left less AB_SECONDS; AB_POINTS="" skips the
# A/B):
#   run(carry=[".bundle"], timeout_s=480, command="CALL_SECONDS=470 bash benchmarks/results/2026-12-06-s30-warm/call1.sh")
#   CALL_SECONDS=330 AB_SECONDS=110 AB_POINTS="qwen3-30b-a3b 1;paper 1;gpt-oss-120b 1"      (timeout_s=340)
#   CALL_SECONDS=290 AB_SECONDS=50 AB_POINTS="qwen3-30b-a3b 1;paper 1" AB_VARIANTS=new,e1    (timeout_s=300)
#   CALL_SECONDS=195 AB_SECONDS=0 AB_POINTS=""                                              (timeout_s=200; the check)
set -uo pipefail
source .bundle/call-env.sh
gpu_line
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - ${AB_SECONDS:-180} )) check native sanitizer
tail -12 $OUT/check/summary.txt 2>/dev/null
grep -E "first-ticket|early-stages|STATIC_FIRST|EARLY_FIRST|withhold|FAIL" $OUT/check/native.log 2>/dev/null | head -40
IFS=';' read -r -a points <<< "${AB_POINTS-qwen3-30b-a3b 1;paper 1;mixtral-8x7b 1;gpt-oss-120b 1;olmoe-1b-7b 1}"
variants=()
IFS=',' read -r -a names <<< "${AB_VARIANTS:-head,new,t1,e1}"
for name in "${names[@]}"; do
  case $name in
    head) variants+=("head=$(ab_lib head)") ;;
    new) variants+=(new=bundle) ;;
    t1) variants+=(t1=bundle,FLASHMOE_STATIC_FIRST_TICKET=1) ;;
    e1) variants+=(e1=bundle,FLASHMOE_EARLY_FIRST_STAGES=1) ;;
  esac
done
[ ${#points[@]} -gt 0 ] && [ $(left) -gt 40 ] && ab s30a 2 5 "${points[@]}" -- "${variants[@]}"
echo "== done ($(left) s left)"
