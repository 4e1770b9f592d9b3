#!/usr/bin/env bash
# Builds .bundle/: everything the GPU machine needs to run the GPU tests, compute-sanitizer and the quick benchmark,
# with no Java installed there (a jlink'd JRE travels along). Run after `mvn -DskipTests install` (or package).
# Then, with the device tool: run(carry=[".bundle"], command="bash .bundle/run-gpu-check.sh"); see CONTRIBUTING.md.
# BUNDLE_BENCH_ONLY=1: a bundle for benchmark calls only (tools/run-bench-ab.sh, gemm_tile_test): no JUnit, no test
# classes and of the native tests only gemm_tile_test and launch_floor, so that more A/B libraries (BUNDLE_AB_LIBS)
# fit the device tool's carry (~3 MiB each, packed). Its smoke test runs the benchmark's --help with the bundled JRE.
# BUNDLE_NATIVE_CHECK=1 (with BUNDLE_BENCH_ONLY=1): fused_test and flashmoe_smoke travel too (~3 MiB packed), so that one
# call can run an A/B and the native side of the GPU check (call-env.sh `check native sanitizer`) when device starts are
# scarce (session 26: eight refused; its call3 carried them by hand).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bundle="$root/.bundle"
bench_only="${BUNDLE_BENCH_ONLY:-0}"
junit_version="${JUNIT_CONSOLE_VERSION:-1.11.4}"
javacpp_version="$(sed -n 's:.*<javacpp.version>\(.*\)</javacpp.version>.*:\1:p' pom.xml)"
project_version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml)"
m2="${MAVEN_REPO:-$HOME/.m2/repository}"

die() { echo "gpu-bundle: $*" >&2; exit 1; }

native_jar="flashmoe-native/target/flashmoe-native-$project_version.jar"
api_jar="flashmoe-api/target/flashmoe-api-$project_version.jar"
test_classes="flashmoe-tests/target/test-classes"
[ -f "$api_jar" ] || die "$api_jar missing: run 'mvn -DskipTests install' first"
[ -f "$native_jar" ] || die "$native_jar missing: run 'mvn -DskipTests install' first"
[ "$bench_only" = 1 ] || [ -d "$test_classes/dev/flashmoe/tests/gpu" ] || die "$test_classes has no GPU tests: run 'mvn -DskipTests install' (it compiles the tests)"
natives="$(unzip -Z1 "$native_jar" | grep -E 'linux-x86_64/lib(flashmoe|jniFlashMoeC)\.so$' | wc -l)"
[ "$natives" = 2 ] || die "$native_jar lacks libflashmoe.so and/or libjniFlashMoeC.so (built with -Dflashmoe.native.skip=true?)"

javacpp_jar="$m2/org/bytedeco/javacpp/$javacpp_version/javacpp-$javacpp_version.jar"
console_jar="$m2/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar"
[ -f "$javacpp_jar" ] || die "$javacpp_jar missing (it is a dependency of flashmoe-native: build first)"
if [ "$bench_only" != 1 ] && [ ! -f "$console_jar" ]; then
  echo "fetching junit-platform-console-standalone $junit_version from Maven Central"
  mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" >&2
fi

rm -rf "$bundle"
mkdir -p "$bundle/lib"

# JRE: the modules that jdeps reports for JavaCPP, our jars and the console launcher (java.sql pulls java.xml and
# java.logging, which the XML reports and System.Logger need; jdk.zipfs lets JUnit scan packages inside jars).
modules="java.base,java.logging,java.management,java.sql,java.xml,jdk.unsupported,jdk.zipfs"
# NOTE: --compress=0: the image is packed by xz below, which packs uncompressed modules to 12.7 MB where jlink's own
# zip compression left 19.5 MB (xz cannot pack zipped data again); the device carries at most 64 MiB with the tree.
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=0 \
      --output "$bundle/jre"

cp "$api_jar" "$bundle/lib/flashmoe-api.jar"
cp "$native_jar" "$bundle/lib/flashmoe-native.jar"
cp "$javacpp_jar" "$bundle/lib/javacpp.jar"
if [ "$bench_only" != 1 ]; then
  cp "$console_jar" "$bundle/lib/junit-platform-console-standalone.jar"
  jar --create --file "$bundle/lib/flashmoe-tests.jar" -C "$test_classes" .
fi
# The benchmark's thin jar (its dependencies are already in lib/); the shaded one would carry libflashmoe twice.
bench_jar="benchmarks/target/benchmarks-$project_version.jar"
if [ -f "$bench_jar" ] && unzip -Z1 "$bench_jar" | grep '^dev/flashmoe/bench/Main.class$' > /dev/null; then  # NOTE: not grep -q: under pipefail its early exit fails unzip with SIGPIPE
  cp "$bench_jar" "$bundle/lib/flashmoe-bench.jar"
else
  echo "note: $bench_jar (with dev.flashmoe.bench.Main) not built; the bundle will skip the benchmark"
fi
# The C-level GPU tests: the C API smoke test (both layer paths) and the fused kernel's own test (graph capture,
# fault injection, 20-run determinism), built by the native build with tests on.
native_build="flashmoe-native/target/native-build"
if [ -x "$native_build/flashmoe_smoke" ] && [ -x "$native_build/fused_test" ]; then
  mkdir -p "$bundle/native"
  # NOTE: libflashmoe.so and libflashmoe_ep.so travel once, inside flashmoe-native.jar; run-gpu-check.sh takes
  # them out of the jar beside these binaries.
  [ "$bench_only" = 1 ] && [ "${BUNDLE_NATIVE_CHECK:-0}" != 1 ] ||
    cp "$native_build/flashmoe_smoke" "$native_build/fused_test" "$bundle/native/"
  # Expert parallelism: the EP library's check (P = 1 through NVSHMEM, bitwise vs the single-GPU layer); the tiles'
  # own test with the layer sweep through the C API (gemm_tile_test --time --sweep; A/B runs).
  # launch_floor: an empty kernel's cost in the same timing (docs/perf-notes.md item 64).
  for f in $([ "$bench_only" = 1 ] || echo ep_layer_test) gemm_tile_test launch_floor; do
    [ -e "$native_build/$f" ] && cp "$native_build/$f" "$bundle/native/"
  done
  # A/B runs (tools/run-ab.sh): BUNDLE_AB_LIBS=DIR adds every DIR/<name>/libflashmoe.so as native/ab/<name>/.
  if [ -n "${BUNDLE_AB_LIBS:-}" ]; then
    for lib in "$BUNDLE_AB_LIBS"/*/libflashmoe.so; do
      name="$(basename "$(dirname "$lib")")"
      mkdir -p "$bundle/native/ab/$name" && cp "$lib" "$bundle/native/ab/$name/"
    done
  fi
  # packed: the device tool carries at most 64 MiB with the tree; xz packs these binaries ~4x (gzip ~3x). -9e: its
  # larger window finds what the test binaries and A/B libraries share (session 24: 12.2 -> 8.9 MB with three A/B
  # libraries, ~14 s on two cores).
  tar -cf - -C "$bundle" native | xz -9e -T2 > "$bundle/native.tar.xz" && rm -rf "$bundle/native"
else
  echo "note: $native_build has no flashmoe_smoke/fused_test; the bundle will skip the native step"
fi
cp "$root/tools/run-gpu-check.sh" "$bundle/run-gpu-check.sh"
cp "$root/tools/run-ep-check.sh" "$bundle/run-ep-check.sh"  # expert parallelism under mpirun (multi-GPU kinds)
cp "$root/tools/unpack-native.sh" "$bundle/unpack-native.sh"  # the native tests and their libraries, unpacked
cp "$root/tools/ncu-evidence.sh" "$bundle/ncu-evidence.sh"  # ncu metrics of the fused kernel (perf-notes)
cp "$root/tools/call-env.sh" "$bundle/call-env.sh"  # the shared start of a call script: source .bundle/call-env.sh
chmod +x "$bundle/run-gpu-check.sh" "$bundle/run-ep-check.sh" "$bundle/ncu-evidence.sh" "$bundle/unpack-native.sh"

{
  echo "bundle built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "jre modules: $modules"
  [ "$bench_only" = 1 ] && echo "bench only (BUNDLE_BENCH_ONLY=1): no JUnit, no test classes, native: gemm_tile_test, launch_floor, ab/$([ "${BUNDLE_NATIVE_CHECK:-0}" = 1 ] && echo ', fused_test, flashmoe_smoke (BUNDLE_NATIVE_CHECK=1)')"
  (cd "$bundle" && find lib -type f -printf '%s\t%p\n' | sort -k2)
} > "$bundle/MANIFEST.txt"

# Smoke test here: the bundled JRE loads the jars and the native library, and the GPU tests skip (no GPU here).
if [ "$bench_only" = 1 ]; then
  echo "smoke test with the bundled JRE (benchmark only: its --help)"
  "$bundle/jre/bin/java" -cp "$bundle/lib/flashmoe-bench.jar:$bundle/lib/flashmoe-api.jar:$bundle/lib/flashmoe-native.jar:$bundle/lib/javacpp.jar" \
    dev.flashmoe.bench.Main --help > /dev/null || die "smoke test failed: the benchmark's --help"
else
  echo "smoke test with the bundled JRE (expects: CUDA unusable here, GPU tests skipped)"
  smoke_out="$(mktemp -d)"
  OUT="$smoke_out" bash "$bundle/run-gpu-check.sh" --smoke || die "smoke test failed (log: $smoke_out)"
  rm -rf "$smoke_out"
fi

du -sh "$bundle/jre"; ls -l "$bundle/lib" | tail -n +2
# The JRE travels packed too (xz: 39 -> 20 MiB), and with it lib/flashmoe-native.jar re-zipped without compression,
# so that xz packs its libraries (deflated in the jar 14.3 MB, stored and xz-packed 10.8: session 24, when the device
# tool refused three calls for size); each runner unpacks jre.tar.xz into the bundle on first use, which puts the jar
# back.
python3 - "$bundle/lib/flashmoe-native.jar" <<'PY'
import copy, os, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as source, zipfile.ZipFile(path + ".stored", "w", zipfile.ZIP_STORED) as target:
    for info in source.infolist():
        data = source.read(info)  # NOTE: before the copy's type changes; the source's entry keeps its own
        stored = copy.copy(info)
        stored.compress_type = zipfile.ZIP_STORED
        target.writestr(stored, data)
os.replace(path + ".stored", path)
PY
tar -cf - -C "$bundle" jre lib/flashmoe-native.jar | xz -9e -T2 > "$bundle/jre.tar.xz"
rm -rf "$bundle/jre" "$bundle/lib/flashmoe-native.jar"
# The device tool carries the bundle with the working tree's tracked and untracked (not ignored) files, 64 MiB in
# all: it refused 66.6 MB (63.5 MiB, session 24) and took 65.5 MB (62.5 MiB, sessions 31-32), so the sum may not pass
# 63 MiB. (Counted in KiB: whole MiB rounded each part and refused session 32's bundles, which then travelled.)
tree_kib=$(( $(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 |
               cut -f1) / 1024 + 1 ))
size_kib=$(du -sk "$bundle" | cut -f1)
size_mib=$(( size_kib / 1024 ))
[ $(( tree_kib + size_kib )) -le $(( 63 * 1024 )) ] ||
  die "bundle is $size_kib KiB and the tree $tree_kib KiB: over the 63 MiB (64512 KiB) the device tool carries;" \
      "fewer A/B libraries, or run the call from a tree without benchmarks/results/'s archives (CONTRIBUTING.md)"
echo "bundle ready: $bundle ($size_mib MiB). On the GPU machine: bash .bundle/run-gpu-check.sh"
