#!/usr/bin/env bash
# Session 33 call1 (drafted and bundled; not run: of seventeen device calls thirteen starts failed, three were turned
# away untried and the last was refused for too little time left; the next session's first call): the A/B of items
# 124 + 125 against item 124 alone and main, then the GPU check of items 124 + 125 (the GEMM tasks' timeouts noted,
# with the fault case check_task_timeout; run_processor's acquires before a task out of line).
# Tree (the bundle's library and native tests): main + item-124.patch + item-125.patch (here; in session 33 branch
# item-124 at 11f6830, whose csrc is exactly that). A/B libraries: main = main's csrc (bfd7c39's sm_90a SASS is
# identical to session 32's p123, diffed); p124 = main + item-124.patch. From main's checkout:
#   r=benchmarks/results/2026-12-07-s33; git worktree add --detach /tmp/s33 main && cd /tmp/s33 &&
#   git apply /work/main/$r/item-124.patch && git commit -qam p124 && git apply /work/main/$r/item-125.patch &&
#   git commit -qam p125 && bash tools/build-ab-libs.sh /tmp/LIBS main=main p124=HEAD~1 &&
#   mvn -B -q -o -DskipTests package && BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/tmp/LIBS \
#   bash tools/gpu-bundle.sh && rm -rf /work/main/.bundle && mv .bundle /work/main/.bundle
# (35 MiB; the device tool carries main's tree and its .bundle.)
# Main's own native suite (session 32's call8) did not fit beside this bundle (carry limit: +7 MiB packed for its
# fused_test); this tree holds all of main's kernel code, items 124-125 being the only kernel changes.
# run(carry=[".bundle"], timeout_s=390, command="CALL_SECONDS=380 bash benchmarks/results/2026-12-07-s33/call1.sh")
# With a whole session's time: timeout_s=590, CALL_SECONDS=580, which A/Bs six points (Qwen3 T = 1, 16, 4096, paper,
# gpt-oss-120b and Mixtral T = 1) in place of two. S33_NO_SANITIZER=1: the native step alone.
set -uo pipefail
source .bundle/call-env.sh
gpu_line
# The A/B first (two points ~45 s, six ~200 s), then the check with what is left (its native step ~120 s, each
# sanitizer ~60-70 s).
points=("qwen3-30b-a3b 1" "paper 1")
[ "${CALL_SECONDS:-380}" -ge 560 ] && points=("qwen3-30b-a3b 1,16,4096" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1")
ab s33a 2 3 "${points[@]}" -- p125=bundle p124=$(ab_lib p124) main=$(ab_lib main)
# S33_NO_SANITIZER=1 (the last ~300 s of device time): the native step alone.
if [ "${S33_NO_SANITIZER:-0}" = 1 ]; then check native; else check native sanitizer; fi
tail -14 $OUT/check/check-summary.txt 2>/dev/null
grep -E "FAIL|GEMM task" $OUT/check/native.log 2>/dev/null | head -20
echo "== done ($(left) s left)"
