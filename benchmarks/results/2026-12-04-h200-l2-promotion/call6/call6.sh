#!/usr/bin/env bash
# call6 (2026-12-04): the review commit after item 39 (host-side settings: one parser for settings with a few choices,
# the constructor through FusedLayer::set_pairs, the weight maps through one helper). Full GPU check; the settings lines.
set -uo pipefail
b=.bundle; w=$(mktemp -d); export NVSHMEM_DISABLE_NVLS=1
mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $w/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/; grep -E "^settings|FAIL" $w/out/native.log | head -30
(cd $w && tar czf $OUT/all.tar.gz check.txt out 2>/dev/null)
