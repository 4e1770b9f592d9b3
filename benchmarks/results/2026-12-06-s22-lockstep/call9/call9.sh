#!/usr/bin/env bash
# Session 22, call9: call7's A/B (base / new, two rounds, the same points) on a new bundle. Bundle
# (BUNDLE_BENCH_ONLY=1): main f4f43db + item 96's second form, the one merged (queue_gemm0_direct: a team of the OS
# block's threads per row tile, the group's entries split among its team; call7's contiguous runs cost T = 8);
# native/ab/base = main f4f43db's libflashmoe.so.
exec bash "$(dirname "$0")/../call7/call7.sh"
