#!/usr/bin/env bash
# Session 35 call2 (run inline, as below, on the machine call1 left warm): the JUnit GPU tests of item 126 with the
# full bundle of next/slot-table 0e35f8d (`mvn -B -q -o -DskipTests install && bash tools/gpu-bundle.sh`), so that
# with call1's native suite and sanitizers the whole GPU check of item 126 ran.
# run(carry=[".bundle"], timeout_s=260, command="source .bundle/call-env.sh; head -2 .bundle/MANIFEST.txt; gpu_line;
#     CALL_SECONDS=250 check tests; echo \"== done ($(left) s left)\"")
# NOTE: CALL_SECONDS=250 is a prefix of `check` only (its steps' shares used it); the last line counts against the
# default 585.
source .bundle/call-env.sh; head -2 .bundle/MANIFEST.txt; gpu_line; CALL_SECONDS=250 check tests; echo "== done ($(left) s left)"
