#!/usr/bin/env bash
# ncu evidence for docs/perf-notes.md (issue 4): profiles one fused forward kernel (moe_forward_kernel) of the
# Qwen3-30B-A3B bf16 layer at T = 1, 1024 and 16384 (override: NCU_TOKENS="1 1024 16384"; another shape:
# NCU_PRESET=mixtral-8x7b, its files then ncu-<preset>-T<T>.csv), from the GPU bundle:
#   bash .bundle/ncu-evidence.sh        (gpu-bundle.sh copies it there)
# Collects the speed-of-light section (duration, DRAM and SM throughput) plus DRAM bytes, the tensor (HMMA) pipe's
# activity, achieved occupancy, L2 traffic, the L2's throughput against its peak and the bytes the L2 delivered to
# the SMs (is a large T bound by the L2?). Writes ncu-T<T>.csv under $OUT.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x "$here/jre/bin/java" ] && [ -f "$here/lib/flashmoe-native.jar" ] || tar -xJf "$here/jre.tar.xz" -C "$here"  # the JRE and the native jar travel packed (gpu-bundle.sh)
out="${OUT:-$PWD/ncu-out}"
mkdir -p "$out"
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
[ -n "$ncu" ] || { echo "ncu not found"; exit 1; }
lib="$here/lib"
cp="$lib/flashmoe-bench.jar:$lib/flashmoe-api.jar:$lib/flashmoe-native.jar:$lib/javacpp.jar"
metrics="gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,dram__bytes_write.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,sm__warps_active.avg.pct_of_peak_sustained_active,lts__t_bytes.sum,lts__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__m_xbar2l1tex_read_bytes.sum,sm__cycles_active.avg"
# Hopper's wgmma runs on the GMMA pipe: add its activity where this ncu knows the metric (the HMMA one stays for the
# SM80 tiles and for comparison).
known="$("$ncu" --query-metrics 2>/dev/null | awk '{print $1}')"
gmma="$(grep -m1 '^sm__pipe_tensor_op_gmma_cycles_active$' <<< "$known" || true)"
[ -n "$gmma" ] && metrics="$metrics,$gmma.avg.pct_of_peak_sustained_active"
# NCU_EXTRA_METRICS=a.sum,b.sum: more metrics, each kept only where this ncu knows its base name (an unknown one would
# fail the whole run), e.g. the L2's read hits and misses from the SMs:
# lts__t_sectors_srcunit_tex_op_read_lookup_hit.sum,lts__t_sectors_srcunit_tex_op_read_lookup_miss.sum
extras="${NCU_EXTRA_METRICS:-}"
for extra in ${extras//,/ }; do
  if grep -qx "${extra%.*}" <<< "$known"; then metrics="$metrics,$extra"; else echo "ncu: no metric ${extra%.*} here"; fi
done
work=$(mktemp -d)
preset="${NCU_PRESET:-qwen3-30b-a3b}"
name="ncu-T"; [ "$preset" = qwen3-30b-a3b ] || name="ncu-$preset-T"
for t in ${NCU_TOKENS:-1 1024 16384}; do
  # warm-up 0, 1 timed replay: the first moe_forward launch is the graph replay of the timed forward
  timeout 240 "$ncu" --clock-control none --target-processes all -k regex:moe_forward --launch-count 1 \
    --metrics "$metrics" --csv \
    "$here/jre/bin/java" -Dorg.bytedeco.javacpp.cachedir="$work/jc" -cp "$cp" dev.flashmoe.bench.Main \
    --backend cuda --preset "$preset" --tokens "$t" --warmup 0 --iters 1 --check-tokens 4 \
    --copy-tbps 3 --matmul-tflops 890 > "$out/$name$t.csv" 2> "$out/$name$t.err"
  echo "$preset T=$t: ncu exit $?"
  grep -E '"(gpu__time|dram__|sm__|lts__)' "$out/$name$t.csv" | awk -F'","' '{print "  " $(NF-2) " [" $(NF-1) "] = " $NF}' | tr -d '"'
done
rm -rf "$work"
