#!/usr/bin/env python3
"""Runs the native tests registered with CTest in a native build directory: the host-only ones (the fused workspace
layout, column splits and pairing rule; the symmetric layout; every C API argument check) run anywhere, the GPU ones
(ep_smoke, ep_layer_test --quick) skip with a printed reason where there is no GPU or no NVSHMEM library.
Called by the Maven build in the test phase (skipped with -DskipTests):
    run_native_tests.py --build-dir flashmoe-native/target/native-build"""
import argparse
import os
import shutil
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per test")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.build_dir, "CTestTestfile.cmake")):
        print("run_native_tests.py: skipped: %s has no native build with tests (a prebuilt library, "
              "-Dflashmoe.native.skip=true, or a build with --no-tests)" % args.build_dir, flush=True)
        return 0
    ctest = shutil.which("ctest")
    if ctest is None:
        cmake = shutil.which("cmake")  # NOTE: build_native.py needs cmake on PATH; ctest ships beside it
        candidate = os.path.join(os.path.dirname(os.path.realpath(cmake)), "ctest") if cmake else None
        ctest = candidate if candidate and os.access(candidate, os.X_OK) else None
    if ctest is None:
        print("run_native_tests.py: error: ctest is not on PATH (it ships with cmake)", file=sys.stderr)
        return 2
    command = [ctest, "--test-dir", args.build_dir, "--output-on-failure", "--timeout", str(args.timeout)]
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
