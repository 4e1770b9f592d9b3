#!/usr/bin/env bash
# Drafted in session 39, not run (its device time was spent). Main (item 144 alone) against branch
# next/early-gemm0-routes (items 145 fixed + 146) as two libraries, and issue 4's table on main: (1) 3 rounds at the
# one-token shapes that take the early path (Qwen3, paper, gpt-oss-120b, Qwen3-235B T = 1), the few-token points item
# 146 adds (Qwen3 T = 2, paper T = 2 / 4) and Mixtral T = 1 (not taken); (2) a traced gpt-oss-120b T = 1 forward of
# each (perf-notes item 145's open question: gpt-oss-120b read -7.2 % with item 144 alone in call3 and -3.7 % with
# 144 + 145 in call4, on two machines); (3) issue 4's preset sweeps with both ceilings measured.
# The A/B library is not GPU-checked: run next-call2.sh (its whole GPU check) first, or read this A/B as speed only.
# Bundle: /tmp/bundle-s39-next (main e256d14's bench-only bundle, its library main's kernel, sm_90a md5 ab5776f3, with
# native/ab/p146 = the branch's df7a38d library, md5 a9396647). Recipe, from the repository root on main: build the
# branch's library (a worktree, `python3 csrc/tools/build_native.py --build-dir B --install-dir I --no-tests --archs
# 90a`), copy I/lib/libflashmoe.so to AB/p146/, then `mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1
# BUNDLE_AB_LIBS=AB bash tools/gpu-bundle.sh` (MANIFEST line 2).
# Predicted: p146 against main at Qwen3 T = 1 -3 to -5 %, paper T = 1 -5 to -8 % (item 145: call4 against call3, two
# machines), Qwen3 T = 2 and paper T = 2 / 4 -5 to -10 % (item 146), gpt-oss-120b and Qwen3-235B -0 to -4 % (the
# question), Mixtral T = 1 within +-0.5 %.
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=320 bash benchmarks/results/2026-12-07-s39/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s40a ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-150} )) "qwen3-30b-a3b 1,2" "paper 1,2,4" "gpt-oss-120b 1" \
  "qwen3-235b-a22b 1" "mixtral-8x7b 1" -- main=bundle p146=$(ab_lib p146)
trace_lib main bundle gpt-oss-120b 1
trace_lib p146 $(ab_lib p146) gpt-oss-120b 1
(cd $w && tar czf $OUT/next-call-a.tar.gz r t-* 2>/dev/null)
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
sweep gpt-oss-120b 1,1024
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/next-call.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
