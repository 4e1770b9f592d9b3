#!/usr/bin/env python3
"""Copies a flashmoe-native jar with its libflashmoe.so replaced by another build's (A/B runs of the benchmark jar
against an older library: tools/run-bench-ab.sh).
    native-jar-with.py SOURCE_JAR LIBFLASHMOE_SO TARGET_JAR"""
import sys
import zipfile

ENTRY = "dev/flashmoe/cuda/internal/linux-x86_64/libflashmoe.so"


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    source, library, target = argv[1:]
    with open(library, "rb") as handle:
        replacement = handle.read()
    with zipfile.ZipFile(source) as src:
        if ENTRY not in src.namelist():
            print("native-jar-with.py: error: %s has no %s" % (source, ENTRY), file=sys.stderr)
            return 1
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, replacement if item.filename == ENTRY else src.read(item.filename))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
