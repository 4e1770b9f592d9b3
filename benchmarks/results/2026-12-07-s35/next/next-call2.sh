#!/usr/bin/env bash
# Drafted in session 35, not run. Where a decode GEMM task's time goes in the layer (perf-notes item 129): traces of
# one forward with a -DFLASHMOE_TASK_STAMPS library (each swap-AB GEMM task records its input wait, k-loop and tail as
# WAIT events inside it), read by `next/stamps.py` (now `tools/task-stamps.py`). Qwen3 T = 1 (the GEMM1 tail: a GEMM1 task ends 7-10 us after its
# tile's GEMM0, item 127), paper T = 1 (GEMM1 in 4 K parts) and gpt-oss-120b T = 1.
# Predicted (Qwen3 T = 1, item 57's stamps in gemm_tile_test: a GEMM1 task 12.1 us, its k-loop 5.2 for 12 steps):
# for the GEMM1 tasks that waited, `ready` (the acquire after the tile's last GEMM0) < 1 us, k-loop ~4-6 us (W_down
# from DRAM at the stream rate), tail + publish ~1-2 us; if the k-loop is ~2 us instead, the weights come from the L2
# and the tail is elsewhere.
# The bundle: built in session 35 as /tmp/bundle-s35-stamps (copy it to .bundle if it survived); else, on main:
#   python3 csrc/tools/build_native.py --build-dir /tmp/b129s --install-dir /tmp/i129s --no-tests --archs 90a \
#     --cmake-arg=-DCMAKE_CUDA_FLAGS=-DFLASHMOE_TASK_STAMPS     # ~30 s here; sm_90a SASS md5 820ce0c8 in session 35
#   mkdir -p /tmp/abstamps/stamps && cp /tmp/i129s/lib/libflashmoe.so /tmp/abstamps/stamps/
#   mvn -B -q -o -DskipTests install && BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/tmp/abstamps bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=200, command="CALL_SECONDS=190 bash benchmarks/results/2026-12-07-s35/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
python3 tools/native-jar-with.py $b/lib/flashmoe-native.jar $(ab_lib stamps)/libflashmoe.so $w/stamps.jar
bench_java=("${bench_java[@]/$b\/lib\/flashmoe-native.jar/$w/stamps.jar}")
for point in "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1"; do
  set -- $point
  trace $1 $2
  python3 tools/task-stamps.py $w/t-$1-$2/trace-T$2.json | tee $r/stamps-$1-$2.txt
done
cp $r/trace-* $r/stamps-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/traces.tar.gz t-*)
echo "== done ($(left) s left)"
