#!/usr/bin/env bash
# Builds libflashmoe.so at several revisions for an A/B on the GPU machine: each LABEL=REV's library lands in
# OUT/LABEL/libflashmoe.so, ready for `BUNDLE_AB_LIBS=OUT bash tools/gpu-bundle.sh` (native/ab/LABEL there) and
# tools/run-ab.sh / tools/run-bench-ab.sh (`LABEL=native/ab/LABEL`).
#   bash tools/build-ab-libs.sh OUT LABEL=REV [LABEL=REV...]
# e.g. bash tools/build-ab-libs.sh /tmp/ab main=main phase2=next/router-phase2~3
# The working tree is not touched: each revision's csrc/ (git archive) is synced into OUT/.src/csrc, copying only the
# files whose content differs (with a fresh mtime, so Ninja sees them), and built there with that revision's own
# build_native.py in one build directory, OUT/.build: a revision that changes a few headers recompiles only what
# includes them. sm_90a only (the A/B machines are Hopper; FLASHMOE_CUDA_ARCHS overrides it): half the size of a
# release library, so that several fit in the device tool's 64 MiB carry beside the bundle. No test binaries, no
# NVSHMEM library.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
shift
for spec in "$@"; do
  label="${spec%%=*}"
  rev="${spec#*=}"
  [ -n "$label" ] && [ "$label" != "$spec" ] || { echo "build-ab-libs: expected LABEL=REV, got '$spec'" >&2; exit 2; }
  commit="$(git -C "$root" rev-parse --verify "$rev^{commit}")"
  export_dir="$(mktemp -d)"
  git -C "$root" archive "$commit" csrc | tar -x -C "$export_dir"
  python3 - "$export_dir/csrc" "$out/.src/csrc" <<'EOF'
import filecmp, os, shutil, sys
source, target = sys.argv[1], sys.argv[2]
wanted = set()
for directory, _, files in os.walk(source):
    for name in files:
        relative = os.path.relpath(os.path.join(directory, name), source)
        wanted.add(relative)
        src, dst = os.path.join(source, relative), os.path.join(target, relative)
        if not os.path.exists(dst) or not filecmp.cmp(src, dst, shallow=False):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)  # NOTE: a fresh mtime, newer than any object built from the old content
            shutil.copymode(src, dst)
for directory, _, files in os.walk(target):
    for name in files:
        path = os.path.join(directory, name)
        if os.path.relpath(path, target) not in wanted:
            os.remove(path)
EOF
  rm -rf "$export_dir"
  start=$(date +%s)
  python3 "$out/.src/csrc/tools/build_native.py" --build-dir "$out/.build" --install-dir "$out/.install" --no-tests \
    --archs "${FLASHMOE_CUDA_ARCHS:-90a}" > "$out/.build-$label.log" 2>&1 ||
    { echo "build-ab-libs: $label ($rev) failed, see $out/.build-$label.log" >&2; exit 1; }
  mkdir -p "$out/$label"
  cp "$out/.install/lib/libflashmoe.so" "$out/$label/libflashmoe.so"
  echo "$label = $rev ($commit): $out/$label/libflashmoe.so in $(( $(date +%s) - start )) s"
done
