#!/usr/bin/env bash
# For the next device session (written in session 23, not run). Item 98's open synccheck report ("Divergent thread(s)
# in block" at the two-warpgroup kernel's hand-off barrier) in isolation: gemm_tile_test --handoff-probe runs the
# hand-off's three forms (handoff_probe_kernel<0>: the fused kernel's; <1>: without the k-step votes; <2>: the exchange
# on __syncthreads) and checks their sums; then the same under synccheck, whose reports name the kernel (the form).
# ~30 s. Bundle: main's (tools/gpu-bundle.sh). Run: run(carry=[".bundle"], command="CALL_SECONDS=120 bash
# benchmarks/results/2026-12-06-s23-tile/next/handoff-probe.sh")
set -uo pipefail
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
nat timeout 30 $n/gemm_tile_test --handoff-probe; echo "probe exit $?"
nat timeout 60 "$san" --tool synccheck --error-exitcode 86 $n/gemm_tile_test --handoff-probe > $OUT/synccheck.txt 2>&1
echo "synccheck exit $?"; grep -E "handoff|SUMMARY" $OUT/synccheck.txt
grep -oE "handoff_probe_kernel<\(int\)[0-9]>|handoff_probe_kernelILi[0-9]E" $OUT/synccheck.txt | sort | uniq -c
