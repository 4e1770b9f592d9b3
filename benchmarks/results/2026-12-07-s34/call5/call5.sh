#!/usr/bin/env bash
# Session 34 call5 (run as an inline command on the warm H100 after call4; this file records it): in-kernel traces of
# Qwen3 T = 1, paper T = 1 and Qwen3 T = 1024 on main 8205cf9's full bundle (call3's).
# run(carry=[".bundle"], timeout_s=210, command="CALL_SECONDS=200 bash -c 'source .bundle/call-env.sh; gpu_line;
#   trace qwen3-30b-a3b 1; trace paper 1; trace qwen3-30b-a3b 1024; cp $r/trace-* $OUT/;
#   (cd $w && tar czf $OUT/traces.tar.gz t-*); echo \"== done ($(left) s left)\"'")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
trace qwen3-30b-a3b 1
trace paper 1
trace qwen3-30b-a3b 1024
cp $r/trace-* $OUT/
(cd $w && tar czf $OUT/traces.tar.gz t-*)
echo "== done ($(left) s left)"
