#!/usr/bin/env bash
# Unpacks the GPU bundle's C-level test binaries (native.tar.xz) into DEST/native and puts beside them the libraries
# they link, taken out of flashmoe-native.jar (they travel once, inside the jar; the jar inside jre.tar.xz, which the
# caller has unpacked). Used by run-gpu-check.sh, call-env.sh and tools/run-perf-check.sh on the GPU machine:
#   bash unpack-native.sh BUNDLE DEST    (prints DEST/native)
set -euo pipefail
bundle="$1"; dest="$2"
tar -xJf "$bundle/native.tar.xz" -C "$dest" 2>/dev/null ||
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle/native.tar.xz" "$dest"
python3 - "$bundle/lib/flashmoe-native.jar" "$dest/native" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as jar:
    for name in ("libflashmoe.so", "libflashmoe_ep.so"):
        path = "dev/flashmoe/cuda/internal/linux-x86_64/" + name
        if path in jar.namelist():
            with open(sys.argv[2] + "/" + name, "wb") as target:
                target.write(jar.read(path))
PY
echo "$dest/native"
