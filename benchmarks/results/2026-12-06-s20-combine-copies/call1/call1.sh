#!/usr/bin/env bash
# Session 20, call1. Tree: main af3cab1 + the compact COMBINE loop out of line with cp.async copies into the idle
# wgmma ring (session 19's call5/combine-copies.patch, `slices` passed in) + the layer option
# expert_output_precision (AUTO / FP32; the EP tests' single-GPU reference FP32) + threshold 64 for bf16 (fp16: fp32
# rows unless the setting is given). Bundle: tools/gpu-bundle.sh of it, plus .bundle/ab/base.so.xz = af3cab1's
# libflashmoe.so (the inlined loop, threshold 4096 for bf16 and fp16: the base).
# 1. the GPU check (JUnit GPU tests incl. the EP test, native tests with fused_test compact-rows and ep_layer_test,
#    memcheck / racecheck / synccheck) at the new default;
# 2. base / new / n4096 (new with FLASHMOE_COMPACT_ROWS_MIN_ROUTES=4096: the copies alone) at issue 4's points and
#    Qwen3 T = 2, 4, 512, 2 rounds: whether the copies return decode to its pre-item-90 time, and threshold 64.
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
[ $(left) -gt 60 ] && ab main 2 10 "qwen3-30b-a3b 1,2,4,8,64,256,512,1024,4096,16384" "paper 1,1024,4096,16384" \
  "mixtral-8x7b 1,1024" -- base=$base new=bundle n4096=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=4096
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
