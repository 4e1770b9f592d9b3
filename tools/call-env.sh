#!/usr/bin/env bash
# The shared start of a device call script (benchmarks/results/*/callN/callN.sh), sourced from the repository root on
# the GPU machine: `source .bundle/call-env.sh`. Sets b (the bundle), w (a scratch folder), n (the native tests and
# libraries, unpacked), r ($w/r, for outputs before they are copied to $OUT), the JRE unpacked, NVLink multicast off
# for NVSHMEM, and left(): the seconds left of the call's 585 (the device tool's 600 less a margin).
b=.bundle
[ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b
w=$(mktemp -d)
n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
call_start=$(date +%s)
left() { echo $(( 585 - ($(date +%s) - call_start) )); }
r=$w/r
mkdir -p $r
