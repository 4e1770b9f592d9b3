#!/usr/bin/env bash
# Session 31 call6 (drafted, not run; the first call for the next session: items 118, 122 and 121 in one start).
# Tree ("both", the bundle's library and native tests): main + item-118.patch with FLASHMOE_DIAG_COMBINE_WARM's
# default at 2 + item-122.patch (report_error and the trace record out of line):
#   git apply benchmarks/results/2026-12-06-s31-combine/item-118.patch benchmarks/results/2026-12-06-s31-combine/item-122.patch
#   sed -i 's/^#define FLASHMOE_DIAG_COMBINE_WARM 0$/#define FLASHMOE_DIAG_COMBINE_WARM 2/' csrc/include/flashmoe/processor/tasks.cuh
#   mvn -B -q -DskipTests install
# A/B libraries (csrc's CMake, target flashmoe, sm_90a only, -DFLASHMOE_BUILD_TESTS=OFF -DFLASHMOE_WITH_NVSHMEM=OFF):
#   LIBS6/head = main's csrc; LIBS6/w2 = main + item-118.patch built with -DFLASHMOE_DIAG_COMBINE_WARM=2 (no item 122).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=LIBS6 bash tools/gpu-bundle.sh (~35 MiB; the tree
# and the carry must stay under 64 MiB: session 31's were 62.5).
# Steps, each only if the seconds left allow:
#   1. the A/B head / w2 / both, 2 rounds: w2 - head is item 118, both - w2 is item 122;
#   2. the native GPU check with sanitizers (fused_test's fault cases run report_error out of line);
#   3. a traced Qwen3 T = 1 forward on the bundle (trace_record_event out of line: the trace must still come out);
#   4. item 121's screen, FLASHMOE_TASKS_PER_PROCESSOR 4 against 2 on main's library at eight few-tile launches.
# run(carry=[".bundle"], timeout_s=590, command="CALL_SECONDS=580 bash benchmarks/results/2026-12-06-s31-combine/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s31f 2 5 "qwen3-30b-a3b 1,16" "paper 1" "gpt-oss-120b 1" "olmoe-1b-7b 1" "mixtral-8x7b 1" -- head=$(ab_lib head) \
  w2=$(ab_lib w2) both=bundle
[ $(left) -gt 330 ] && CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 170 )) check native sanitizer  # leaves ~170 s for 3-4
tail -8 $OUT/check/summary.txt 2>/dev/null
grep -E "FAIL" $OUT/check/native.log 2>/dev/null | head -20
trace qwen3-30b-a3b 1 && cp $r/trace-qwen3-30b-a3b-1.txt $OUT/
[ $(left) -gt 60 ] && ab s31e 2 5 "mixtral-8x7b 512,1024,2048" "mixtral-8x22b 1024" "phi-3.5-moe 1024" "llama4-scout 1024" \
  "dbrx 512" "gpt-oss-20b 512" -- tpp4=$(ab_lib head) tpp2=$(ab_lib head),FLASHMOE_TASKS_PER_PROCESSOR=2
echo "== done ($(left) s left)"
