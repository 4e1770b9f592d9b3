#!/usr/bin/env bash
# The shared start of a device call script (benchmarks/results/*/callN/callN.sh), sourced from the repository root on
# the GPU machine: `source .bundle/call-env.sh`. Sets b (the bundle), w (a scratch folder), n (the native tests and
# libraries, unpacked), r ($w/r, for outputs before they are copied to $OUT), the JRE unpacked, NVLink multicast off
# for NVSHMEM, left(): the seconds left of the call's CALL_SECONDS (585 unless set: the device tool's 600 less a margin;
# set it lower when the session's device time is short), and nat(): runs a
# native test binary with the bundle's libflashmoe.so found (`nat $n/gemm_tile_test --gather-probe`; a bare
# `$n/gemm_tile_test` does not start: session 16's call1 lost its probe so). LD_LIBRARY_PATH is set for that command
# only: exported, it could hand the Java runs the bundle's library in place of an A/B variant's.
# check STEP...: the GPU check (run-gpu-check.sh) written straight into $OUT/check, its steps' timeouts capped by the
# seconds left (30 / 45 / 25 % of them for tests / native / sanitizer, shared over the steps named, at most
# 120 / 170 / 120), so that a call cut at
# its limit still returns the steps that finished (session 18's call4 ran it into a scratch folder and lost it all).
# `check native sanitizer`: its native side alone, which a bench-only bundle built with BUNDLE_NATIVE_CHECK=1 runs
# beside an A/B.
# check_packed STEP...: check, then $OUT/check packed into $OUT/check.tar.gz (the device tool returns only a few files),
# with check's exit status.
# check_call STEP...: a whole-check call's start: gpu_line, the bundle's MANIFEST head, check_packed STEP..., and the
# seconds left after it.
# ab_lib NAME: the folder of the A/B library NAME (gpu-bundle.sh's BUNDLE_AB_LIBS: $n/ab/NAME/libflashmoe.so), a LIBDIR
# for run-bench-ab.sh; fails when the bundle has none of that name. (It used to unpack .bundle/ab/NAME.so.xz, a layout
# gpu-bundle.sh no longer makes.)
# ab LABEL ROUNDS MARGIN SPEC... -- VARIANT...: tools/run-bench-ab.sh with the ceilings and one checked token,
# cut MARGIN seconds before the call's end; its log goes to $r/bench-LABEL.txt and $OUT, its medians to stdout.
# trace PRESET T: the benchmark's in-kernel trace of one point (10 forwards; its phases and occupancy printed), the log
# in $r/trace-PRESET-T.txt, the Chrome-trace JSON in $w/t-PRESET-T (tar it into all.tar.gz); at most 90 s, cut 30 s
# before the call's end; skipped when under 60 s are left.
# trace_lib LABEL LIBDIR|bundle PRESET T [NAME=VALUE...]: trace with an A/B library (ab_lib's LIBDIR) swapped into a
# copy of the native jar and the settings given; the log in $r/trace-LABEL-PRESET-T.txt (its phases and occupancy
# printed), the JSON in $w/t-LABEL-PRESET-T; at most 60 s, cut 15 s before the call's end; skipped under 25 s left.
# gpu_line: the GPU's name, memory and clocks into $OUT/nvidia-smi.txt, printed (every call's first line).
# fused_check SECONDS [PATTERN]: the bundle's fused_test whole (BUNDLE_NATIVE_CHECK=1), at most SECONDS; its exit, its
# summary line and the lines matching PATTERN (default: FAIL) printed, its log in $OUT/fused_test.txt.
# sweep PRESET TOKENS: the benchmark jar's sweep of PRESET over TOKENS (comma-separated) with both ceilings measured,
# at most 150 s and cut 10 s before the call's end; its output is appended to $r/sweeps.txt, results.json / .csv in
# $r/s-PRESET (tools/issue4-table.py reads them from all.tar.gz). Skipped when under 70 s are left.
b=.bundle
[ -x $b/jre/bin/java ] && [ -f $b/lib/flashmoe-native.jar ] || tar -xJf $b/jre.tar.xz -C $b
w=$(mktemp -d)
n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
call_start=$(date +%s)
left() { echo $(( ${CALL_SECONDS:-585} - ($(date +%s) - call_start) )); }
nat() { LD_LIBRARY_PATH="$n${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
r=$w/r
mkdir -p $r
# The benchmark jar on the bundled JRE (trace, sweep): "${bench_java[@]}" ARGS... (an array, so that timeout runs it).
bench_java=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc
  -cp "$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
  dev.flashmoe.bench.Main --backend cuda)
check() {
  local l; l=$(left)
  # The steps' shares of the seconds left (30 / 45 / 25), over the steps asked for (all three when none is named):
  # session 27's `check tests sanitizer` at 290 s left gave fused_test --quick under racecheck 72 s of the 25 %, and it
  # needs ~60-75 s, while the native step's 45 % went unused.
  local wt=30 wn=45 ws=25
  if [ $# -gt 0 ]; then
    case " $* " in *" tests "*) ;; *) wt=0 ;; esac
    case " $* " in *" native "*) ;; *) wn=0 ;; esac
    case " $* " in *" sanitizer "*) ;; *) ws=0 ;; esac
  fi
  local total=$(( wt + wn + ws > 0 ? wt + wn + ws : 1 ))
  local t=$(( l * wt / total < 120 ? l * wt / total : 120 ))
  local nt=$(( l * wn / total < 170 ? l * wn / total : 170 ))
  local st=$(( l * ws / total < 120 ? l * ws / total : 120 ))
  mkdir -p "$OUT/check"
  OUT="$OUT/check" GPU_TESTS_TIMEOUT=$t NATIVE_TIMEOUT=$nt SANITIZER_TIMEOUT=$st bash $b/run-gpu-check.sh "$@"
}
check_packed() {
  check "$@"
  local rc=$?
  (cd "$OUT" && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
  return $rc
}
check_call() {
  gpu_line
  head -2 $b/MANIFEST.txt
  check_packed "$@"
  local rc=$?
  echo "== check done ($(left) s left)"
  return $rc
}
gpu_line() {
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
  head -2 $OUT/nvidia-smi.txt | tail -1
}
fused_check() {
  nat timeout $1 $n/fused_test > $r/fused_test.txt 2>&1
  echo "fused_test exit $? ($(left) s left)"; tail -1 $r/fused_test.txt
  grep -E "${2:-FAIL}" $r/fused_test.txt | head -16
  cp $r/fused_test.txt $OUT/
}
ab_lib() {
  [ -f "$n/ab/$1/libflashmoe.so" ] || { echo "ab_lib: no A/B library $1 in the bundle ($n/ab)" >&2; return 1; }
  echo "$n/ab/$1"
}
ab() {
  local label=$1 rounds=$2 margin=$3; shift 3
  # Its runs (rounds x points x variants) and the seconds they get: session 28's call2 lost two A/Bs' last rounds to
  # margins larger than the steps after them needed (a decode run takes ~2.7 s, a large-T one more).
  local points=0 variants=0 past=0 spec
  for spec in "$@"; do
    if [ "$spec" = "--" ]; then past=1
    elif [ $past = 1 ]; then variants=$((variants + 1))
    else points=$((points + $(echo "${spec#* }" | tr ',' '\n' | wc -l))); fi
  done
  echo "== A/B $label, $rounds rounds of $points points x $variants variants: $((rounds * points * variants)) runs in" \
    "at most $(( $(left) - margin )) s ($(left) s left)"
  OUT=$r/$label ROUNDS=$rounds BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - margin )) bash tools/run-bench-ab.sh "$@" > $r/bench-$label.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-$label.txt
  cp $r/bench-$label.txt $OUT/
}
# trace_run NAME SECONDS COMMAND...: the traced forward of trace and trace_lib (COMMAND: the benchmark's java command
# line with its --preset and --tokens), log $r/trace-NAME.txt, JSON $w/t-NAME.
trace_run() {
  local name=$1 seconds=$2; shift 2
  timeout $seconds "$@" --copy-tbps 3 --matmul-tflops 750 --trace --iters 10 --out $w/t-$name > $r/trace-$name.txt 2>&1
}
trace_lib() {
  local label=$1 lib=$2 preset=$3 t=$4; shift 4
  [ $(left) -gt 25 ] || { echo "== trace $label $preset T=$t skipped ($(left) s left)"; return 1; }
  local java=("${bench_java[@]/%$w\/jc/$w/jc-$label}")  # a JavaCPP cache of its own
  if [ "$lib" != bundle ]; then
    local jar=$w/native-$label.jar
    [ -f $jar ] || python3 tools/native-jar-with.py $b/lib/flashmoe-native.jar $lib/libflashmoe.so $jar || return 1
    java=("${java[@]/$b\/lib\/flashmoe-native.jar/$jar}")
  fi
  local l=$(( $(left) - 15 ))
  trace_run $label-$preset-$t $(( l < 60 ? l : 60 )) env "$@" "${java[@]}" --preset $preset --tokens $t
  echo "== trace $label $preset T=$t: exit $? ($(left) s left)"
  sed -n '/trace T=/,/timeline.png/p' $r/trace-$label-$preset-$t.txt
}
trace() {
  [ $(left) -gt 60 ] || { echo "== trace $1 T=$2 skipped ($(left) s left)"; return 1; }
  local l=$(( $(left) - 30 ))
  trace_run $1-$2 $(( l < 90 ? l : 90 )) "${bench_java[@]}" --preset $1 --tokens $2
  echo "== trace $1 T=$2: exit $? ($(left) s left)"; grep -E "trace T=|phases T=" $r/trace-$1-$2.txt
}
sweep() {
  [ $(left) -gt 70 ] || { echo "== sweep $1 skipped ($(left) s left)" >> $r/sweeps.txt; return 1; }
  echo "== sweep $1 ($(left) s left)" >> $r/sweeps.txt
  local l=$(( $(left) - 10 ))
  timeout $(( l < 150 ? l : 150 )) "${bench_java[@]}" --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1
  echo "exit $?" >> $r/sweeps.txt
}
