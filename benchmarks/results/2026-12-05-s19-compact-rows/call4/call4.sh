#!/usr/bin/env bash
# Session 19, call4 (not run: no device). Tree: main + call5/combine-copies.patch (the compact COMBINE out of line,
# its loads cp.async copies into the idle wgmma ring). Bundle: tools/gpu-bundle.sh of it, plus .bundle/ab/base.so.xz =
# the libflashmoe.so of main without the patch (the base).
# 1. the GPU check (JUnit GPU tests, native tests with fused_test compact-rows, memcheck / racecheck / synccheck);
# 2. base / new at the points call2-3 measured most, 2 rounds; 3. if time is left, Qwen3-235B T = 1 and 1024, 1 round.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
base=$(ab_lib base)
echo "== check ($(left) s left)"
check tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $OUT/check/summary.txt
grep -E "FAIL|Error|premise|DIFFERS|BITWISE EQUAL" $OUT/check/*.log | head -20
grep -E "^compact-rows" $OUT/check/native.log | head -20
[ $(left) -gt 60 ] && ab main 2 10 "qwen3-30b-a3b 1,8,64,1024,4096,16384" "paper 1,16384" "mixtral-8x7b 1" -- \
  base=$base new=bundle
[ $(left) -gt 40 ] && ab q235 1 5 "qwen3-235b-a22b 1,1024" -- base=$base new=bundle
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
