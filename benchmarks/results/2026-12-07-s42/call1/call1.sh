#!/usr/bin/env bash
# Session 42, call1: the whole GPU check (the JUnit GPU tests, the native suite, compute-sanitizer memcheck, racecheck,
# synccheck) of item 155's branch next/s41-review (c47b324 = main dc2aa8a + the review's two mends, rebuilt this
# session; sm_90a md5 bab8893a, the same SASS as session 41's lost 7727967). The full bundle also carries call2's A/B
# libraries (native/ab/main, m144, t148), so both calls run on one bundle from a tree without benchmarks/results/'s
# other folders (CONTRIBUTING.md: the carry limit). The same steps as 2026-12-07-s40/next/next-call2.sh.
# run(carry=[".bundle"], timeout_s=560, command="CALL_SECONDS=545 bash benchmarks/results/2026-12-07-s42/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== done ($(left) s left)"
