#!/usr/bin/env bash
# Session 39 call2: session 38's next/next-call4.sh (item 142 against main as two libraries; traced Qwen3 and paper
# T = 1 forwards with item 143's OS block stamps, on main and on item 142), then issue 4's table on main (the benchmark
# jar's preset sweeps, both ceilings measured in the run). Bundle: /tmp/bundle-s38-stamps (next-call4.sh's header: main
# 67a7fc9's bench-only bundle, its library main's kernel, sm_90a md5 ad3b4a56 as on 030d967, with native/ab/p142,
# stamps, stamps142).
# Predicted: p142 against main as call1's on/off (-0.2 to -0.9 % where it acts, Qwen3 T = 16 unchanged); the stamps:
# see next-call4.sh; the table: Qwen3 / paper T = 1 ~4-5 % / ~3 % below session 34's H100 table (items 131-138),
# the rest within the machines' spread (+-3 %).
# run(carry=[".bundle"], timeout_s=310, command="CALL_SECONDS=300 bash benchmarks/results/2026-12-07-s39/call2/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s39s 3 $(( $(left) - 110 )) "qwen3-30b-a3b 1,2,8,16" "paper 1" "gpt-oss-120b 1" -- main=bundle p142=$(ab_lib p142)
for preset in qwen3-30b-a3b paper; do
  for label in stamps stamps142; do
    trace_lib $label $(ab_lib $label) $preset 1
    python3 tools/task-stamps.py $w/t-$label-$preset-1/trace-T1.json | tee -a $r/os-stamps.txt
  done
done
(cd $w && tar czf $OUT/call2a.tar.gz r t-* 2>/dev/null)
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
sweep qwen3-235b-a22b 1,1024
sweep deepseek-v3 1,1024
sweep gpt-oss-120b 1,1024
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
(cd $w && tar czf $OUT/call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
