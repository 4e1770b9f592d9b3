#!/usr/bin/env bash
# Drafted in session 37, not run (its device time was spent). Main (items 134, 137 at one token tile, 138) against the
# main before items 137-138 (prev = 797994b) and against items 139, 140 and 141 (patches beside this folder), 3 rounds:
#  p139 = main + ../item-139.patch: item 137 at every T, each COMBINE lane loading only the row-tile counts it has not
#    yet seen complete.
#  main vs prev: session 37 measured items 137-138 only at T = 1-2 and in their every-T form; at T = 8 and 1024 main
#    runs main's code plus item 138, expected within +0.2 % (Next steps (a)).
#  p139 vs main: predicted equal at T = 1-2 (one token tile, few counts), and at T = 8 / 1024 either the every-T form's
#    +0.5 / +0.2 % (call3-4) gone, if the reloads of complete counts were its cost, or still there (then it is the
#    COMBINE's longer code or its waits one row tile at a time: Next steps (b)).
#  p140 vs main: item 140 (the slot assignment of a launch of at most 32 routes by warp 0 alone, from registers:
#    ../item-140.patch). Predicted Qwen3 T = 1 -2 to -5 % (the general path's ~5.7 us, its code cold, to ~2.5-3.5
#    us), the other one-token points -2 to -4 %, Qwen3 T = 2 (16 routes) likewise, T >= 8 equal (64 routes or more:
#    not taken). Not GPU-checked: a run whose token check fails reads "run failed" in the bench file; if it gains, its
#    whole GPU check comes next (a full bundle of main + the patch).
#  p141 vs p140: item 141 on item 140 (../item-141.patch: the tiny slot assignment also writes the GEMM0 queue entries
#    and publishes them with the routing, so the processors that see the routing find their first tasks released;
#    queue_gemm0_direct's entries and release ran ~4.5 us after the routing at Qwen3 T = 1). Predicted a further -3 to
#    -6 % at Qwen3, paper, gpt-oss-120b T = 1 and Qwen3 T = 2; T >= 8 unchanged.
# The bundle (/tmp/bundle-s37-next in session 37; recipe from the repository root, on main efd6060 or later):
#   git checkout -q -b tmp/i139 && git apply benchmarks/results/2026-12-07-s37/item-139.patch && git commit -qam i139
#   git checkout -q main && git checkout -q -b tmp/i140 && git apply benchmarks/results/2026-12-07-s37/item-140.patch
#   git commit -qam i140 && git checkout -q -b tmp/i141 && git apply benchmarks/results/2026-12-07-s37/item-141.patch
#   git commit -qam i141 && git checkout -q main
#   bash tools/build-ab-libs.sh /tmp/ab37n prev=797994b p139=tmp/i139 p140=tmp/i140 p141=tmp/i141
#   mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/tmp/ab37n bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=320 bash benchmarks/results/2026-12-07-s37/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s38a 3 10 "qwen3-30b-a3b 1,2,8,64,1024" "paper 1" "gpt-oss-120b 1" -- \
  main=bundle prev=$(ab_lib prev) p139=$(ab_lib p139) p140=$(ab_lib p140) p141=$(ab_lib p141)
(cd $r && tar czf $OUT/next-call.tar.gz .)
echo "== done ($(left) s left)"
