#!/usr/bin/env bash
# Expert parallelism from the JVM on a multi-GPU machine, from the GPU bundle (no Java needed there):
#   bash .bundle/run-ep-check.sh [P ...]        (default: 2, 4, 8 — as many as there are GPUs)
# For each P: the multi-rank check (dev.flashmoe.bench.ExpertParallelMain --check under mpirun, unique id through a
# file), then the benchmark at issue 6's shapes (paper H=2048 I=2048 E=64 and 128, top-2, 16384 tokens/GPU, bf16 and
# fp32; Qwen3-30B-A3B at 128, 1024, 4096 tokens/GPU); then P = 1 of the same benchmarks and the weak-scaling table.
# $OUT (./ep-check-out elsewhere) gets summary.txt and ep-check.tar.gz (every log and JSON). Env: EP_TIMEOUT (seconds per mpirun, default 300).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
final="${OUT:-$PWD/ep-check-out}"
mkdir -p "$final"
[ -x "$here/jre/bin/java" ] && [ -f "$here/lib/flashmoe-native.jar" ] || tar -xJf "$here/jre.tar.xz" -C "$here"  # the JRE and the native jar travel packed (gpu-bundle.sh)
java="$here/jre/bin/java"
lib="$here/lib"
cp="$lib/flashmoe-bench.jar:$lib/flashmoe-api.jar:$lib/flashmoe-native.jar:$lib/javacpp.jar"
work="$(mktemp -d /tmp/flashmoe-ep-check.XXXXXX)"
# Logs and JSON are written here and leave as one archive (the device tool brings back a few files only).
out="$work/out"
mkdir -p "$out"
if [ -z "${FLASHMOE_NVSHMEM_LIB_DIR:-}" ]; then
  d="$(python3 -c 'import nvidia.nvshmem as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
  [ -n "$d" ] && export FLASHMOE_NVSHMEM_LIB_DIR="$d/lib"
fi
export NVSHMEM_DISABLE_NVLS="${NVSHMEM_DISABLE_NVLS:-1}"
gpus=$(nvidia-smi -L | wc -l)
main=(dev.flashmoe.bench.ExpertParallelMain)
jvm=(-Dorg.bytedeco.javacpp.cachedir="$work/javacpp-cache" -XX:+UseParallelGC -cp "$cp")
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x FLASHMOE_NVSHMEM_LIB_DIR -x NVSHMEM_DISABLE_NVLS)
benches=("paper bf16 16384" "paper fp32 16384" "paper-e128 bf16 16384" "qwen3-30b-a3b bf16 128"
         "qwen3-30b-a3b bf16 1024" "qwen3-30b-a3b bf16 4096")
ps=("$@")
[ ${#ps[@]} -eq 0 ] && ps=(2 4 8)
status=0
summary="$out/summary.txt"
: > "$summary"
# mpirun runs a one-line script per launch: OpenMPI 5's command-line parser mangles JVM options placed after the
# executable (-D..., -XX:..., -cp), so the java command never passes through it.
launch() {  # P, then the ExpertParallelMain arguments
  local p=$1; shift
  local script="$work/rank-$RANDOM.sh"
  printf '%q ' exec "$java" "${jvm[@]}" "${main[@]}" "$@" > "$script"
  if [ "$p" = 1 ]; then
    timeout "${EP_TIMEOUT:-300}" bash "$script"
  else
    timeout "${EP_TIMEOUT:-300}" "${mpi[@]}" -np "$p" bash "$script"
  fi
}
run_bench() {  # P, then "preset dtype tokens"
  local p=$1 preset dtype tokens
  read -r preset dtype tokens <<< "$2"
  local dir="$out/bench-P$p-$preset-$dtype-$tokens"
  rm -f "$work/uid"
  launch "$p" --bootstrap "file:$work/uid" --preset "$preset" --dtype "$dtype" --tokens "$tokens" --out "$dir" \
    > "$dir.log" 2>&1
  local rc=$?
  echo "bench P=$p $preset $dtype T=$tokens/rank: exit $rc; $(grep -h '^P=' "$dir.log" | head -1)" | tee -a "$summary"
  [ $rc -eq 0 ] || status=1
}
for p in "${ps[@]}"; do
  if [ "$p" -gt "$gpus" ]; then
    echo "P=$p: only $gpus GPUs here; skipped" | tee -a "$summary"
    continue
  fi
  rm -f "$work/uid"
  launch "$p" --check --bootstrap "file:$work/uid" > "$out/check-P$p.log" 2>&1
  rc=$?
  echo "check P=$p: exit $rc; $(grep -c '^PASS' "$out/check-P$p.log") PASS, $(grep -c '^FAIL' "$out/check-P$p.log") FAIL lines" \
    | tee -a "$summary"
  [ $rc -eq 0 ] || status=1
  for b in "${benches[@]}"; do run_bench "$p" "$b"; done
done
for b in "${benches[@]}"; do run_bench 1 "$b"; done
for b in "${benches[@]}"; do
  read -r preset dtype tokens <<< "$b"
  dirs=$(ls -d "$out"/bench-P*-"$preset-$dtype-$tokens" 2>/dev/null | tr '\n' ',' | sed 's/,$//')
  echo "weak scaling $preset $dtype T=$tokens/rank:" | tee -a "$summary"
  "$java" -cp "$cp" "${main[@]}" --weak-scaling "$dirs" 2>&1 | tee -a "$summary"
done
echo "overall: $([ $status -eq 0 ] && echo PASS || echo FAIL)" | tee -a "$summary"
cp "$summary" "$final/summary.txt"
tar -czf "$final/ep-check.tar.gz" -C "$out" .
rm -rf "$work"
exit $status
