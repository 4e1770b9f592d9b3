#!/usr/bin/env bash
# Drafted in session 39, not run (its device time was spent). Perf-notes item 145's open question and issue 4's table on
# merged main: (1) main (items 144 + 145) against item 144 alone as two libraries, 3 rounds, at the one-token shapes that
# take the early path (Qwen3, paper, gpt-oss-120b, Qwen3-235B T = 1) and two that do not (Qwen3 T = 2, Mixtral T = 1);
# (2) a traced gpt-oss-120b T = 1 forward of each; (3) issue 4's preset sweeps with both ceilings measured.
# Bundle: /tmp/bundle-s39-next (main c20269f's bench-only bundle, its library main's kernel, sm_90a md5 9326c611, with
# native/ab/p144 = next/early-gemm0 99382bf, md5 ab5776f3). Recipe, from the repository root on main c20269f or later
# with the same csrc: build 99382bf's library (a worktree, `python3 csrc/tools/build_native.py --build-dir B
# --install-dir I --no-tests --archs 90a`), copy I/lib/libflashmoe.so to AB/p144/, then
# `mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=AB bash tools/gpu-bundle.sh` (MANIFEST line 2).
# Predicted: main against p144 at Qwen3 T = 1 -3 to -5 %, paper -5 to -8 % (call4 against call3, two machines);
# gpt-oss-120b: the question (call3 read item 144 alone at -7.2 % against the setting off, call4 both at -3.7 %): if
# main is slower than p144 there, item 145's early GEMM1 weight stages compete with GEMM0's stream on that shape, and
# the trace shows GEMM1 tasks holding stages while GEMM0 still streams. Qwen3 T = 2 and Mixtral within +-0.5 %.
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=320 bash benchmarks/results/2026-12-07-s39/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s40a ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-140} )) "qwen3-30b-a3b 1,2" "paper 1" "gpt-oss-120b 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- main=bundle p144=$(ab_lib p144)
trace_lib main bundle gpt-oss-120b 1
trace_lib p144 $(ab_lib p144) gpt-oss-120b 1
(cd $w && tar czf $OUT/next-call-a.tar.gz r t-* 2>/dev/null)
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
sweep gpt-oss-120b 1,1024
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/next-call.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
