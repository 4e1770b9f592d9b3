#!/usr/bin/env bash
# call10 (2026-12-04, session 6): the final GPU check of the session's code (01b0f5c plus the review's refactor of the
# bounded waits in fused/sync.cuh: wait_equals and wait_epoch_count share poll_until): JUnit GPU tests, native tests,
# compute-sanitizer memcheck, racecheck and synccheck.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $w/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|trace  |timeout |routing" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz check.txt out 2>/dev/null); ls -la $OUT
