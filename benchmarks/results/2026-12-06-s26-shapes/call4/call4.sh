#!/usr/bin/env bash
# Session 26 call4: item 111 (the launch's column splits computed once per processor, read from shared memory by each
# task): fused_test (every case against the fp64 reference and bitwise where the splits agree), then the A/B head
# (ad82404) / once, at decode (where item 110's rule cost +1.2-1.7 % with no split changed) and two GEMM-bound points.
# Bundle: bench-only; its library (in the jar) = branch next/splits-once, fused_test of that tree and flashmoe_smoke
# added by hand to native.tar.xz; A/B lib head = ad82404. Short: the session had ~250 s of device time left.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=170 bash benchmarks/results/2026-12-06-s26-shapes/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > $OUT/nvidia-smi.txt 2>&1; cat $OUT/nvidia-smi.txt
nat timeout 80 $n/fused_test > $r/fused_test.txt 2>&1; echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
grep -E "FAIL" $r/fused_test.txt | head -5
cp $r/fused_test.txt $OUT/
ab s26e 2 5 "qwen3-30b-a3b 1,8,1024" "paper 1,4096" "mixtral-8x7b 1" -- head=$n/ab/head once=bundle
echo "== done ($(left) s left)"
