#!/usr/bin/env python3
"""Builds and installs libflashmoe.so: resolves the toolchain, configures CMake (Ninja), builds, installs
<install>/lib/libflashmoe.so and <install>/include/flashmoe/capi/flashmoe_c.h. Re-running is incremental."""
# Called by the Maven build as: build_native.py --build-dir flashmoe-native/target/native-build
#                                               --install-dir flashmoe-native/target/native
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import toolchain  # noqa: E402  (same folder; stdlib only)


def fail(message):
    print("build_native.py: error: " + message, file=sys.stderr)
    sys.exit(2)


def run(command, cwd=None):
    print("+ " + " ".join(command), file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=cwd)
    if result.returncode != 0:
        fail("command failed with exit %d: %s" % (result.returncode, " ".join(command)))


# ptxas's notes that it serialised wgmma (each MMA waits for the one before: the Hopper tiles at a fraction of their
# rate, silently). The kernel is written so that none applies (docs/perf-notes.md items 27 and 32); a build that
# prints one fails here rather than ship a slow library.
WGMMA_SERIALISED = ("(C7509)", "(C7510)", "(C7514)")


def run_build(command):
    """Runs the build, echoing its output, and fails on a ptxas note that wgmma was serialised."""
    print("+ " + " ".join(command), file=sys.stderr, flush=True)
    serialised = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        for line in process.stdout:
            sys.stderr.write(line)
            if any(code in line for code in WGMMA_SERIALISED):
                serialised.append(line.strip())
    if process.returncode != 0:
        fail("command failed with exit %d: %s" % (process.returncode, " ".join(command)))
    if serialised:
        fail("ptxas serialised wgmma (the Hopper tiles would run far below their rate):\n  " + "\n  ".join(serialised)
             + "\nsee CONTRIBUTING.md (the out-of-line GEMM tasks) and docs/perf-notes.md items 27 and 32")


REPO = os.path.dirname(CSRC)
SASS_ALLOWANCE = os.path.join(HERE, "sass-bar-hazard.allow")


SASS_CHECKER = os.path.join(REPO, "tools", "sass-bar-hazard.py")


def sass_check_inputs(libraries):
    """What a passing SASS check depends on: each library's size and mtime, the allowance and the checker."""
    inputs = {library: [os.stat(library).st_size, os.stat(library).st_mtime_ns] for library in libraries}
    for path in (SASS_ALLOWANCE, SASS_CHECKER):
        with open(path, "rb") as f:
            inputs[path] = hashlib.sha256(f.read()).hexdigest()
    return inputs


def sass_check(cuobjdump, libraries, build_dir):
    """Fails the build on a block barrier that a warp may reach unconverged in a library's SASS, past the allowance of
    read, harmless candidates in csrc/tools/sass-bar-hazard.allow (tools/sass-bar-hazard.py; docs/perf-notes.md item
    157: ptxas laid out item 156's kernel so that part of warp 0 jumped to the OS block's __syncthreads unconverged, a
    fault fused_test found only on the GPU). FLASHMOE_SASS_CHECK=0 skips it (an experiment's build, say). A pass is
    stamped in build_dir, so a rebuild that left the libraries, the allowance and the checker as they were (a Java-only
    change's Maven build) does not pay the ~30 s again."""
    if os.environ.get("FLASHMOE_SASS_CHECK", "1").lower() in ("0", "false", "off", "no"):
        print("build_native.py: SASS check skipped (FLASHMOE_SASS_CHECK=0)", file=sys.stderr)
        return
    if not cuobjdump:
        print("build_native.py: SASS check skipped: no cuobjdump in the CUDA root or on PATH", file=sys.stderr)
        return
    stamp = os.path.join(build_dir, "sass-check.json")
    inputs = sass_check_inputs(libraries)
    try:
        with open(stamp) as f:
            if json.load(f) == inputs:
                print("build_native.py: SASS check passed before on these libraries (%s)" % stamp, file=sys.stderr)
                return
    except (OSError, ValueError):
        pass
    started = time.time()
    failed = []
    for library in libraries:
        name = os.path.basename(library)
        dump = subprocess.Popen([cuobjdump, "-sass", library], stdout=subprocess.PIPE)
        check = subprocess.run([sys.executable, SASS_CHECKER, "--allow", SASS_ALLOWANCE, "--library", name, "-"],
                               stdin=dump.stdout, capture_output=True, text=True)
        dump.stdout.close()
        dumped = dump.wait()
        if check.returncode not in (0, 1):  # first: a checker that stopped early also ends cuobjdump (SIGPIPE)
            fail("tools/sass-bar-hazard.py failed on %s (exit %d):\n%s%s" % (name, check.returncode, check.stdout,
                                                                          check.stderr))
        if dumped != 0:
            fail("cuobjdump -sass %s failed with exit %d" % (library, dumped))
        if check.returncode == 1:
            failed.append(check.stdout.strip())
        else:
            print("build_native.py: SASS check of %s: %s, none past the allowance"
                  % (name, check.stdout.splitlines()[0].split(": ", 1)[1]), file=sys.stderr)
    if failed:
        fail("a block barrier that a warp may reach unconverged (more candidates than %s allows):\n%s\nRead each "
             "branch in the SASS (`%s -sass -arch ARCH LIB`): if its predicate is the same in every lane, add the "
             "function's count to the allowance with why; if not, make every lane reach the barrier through the same "
             "reconvergence (docs/perf-notes.md item 157, CONTRIBUTING.md)" % (SASS_ALLOWANCE, "\n".join(failed),
                                                                              cuobjdump))
    with open(stamp, "w") as f:
        json.dump(inputs, f)
    print("build_native.py: SASS check took %.0f s" % (time.time() - started), file=sys.stderr)


def forget_other_compiler(build_dir, nvcc):
    """Removes build_dir's CMake cache when it names a CUDA compiler other than nvcc."""
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if not os.path.exists(cache):
        return
    with open(cache) as f:
        cached = [line.split("=", 1)[1].strip() for line in f if line.startswith("CMAKE_CUDA_COMPILER:")]
    if cached and os.path.realpath(cached[0]) != os.path.realpath(nvcc):
        print("build_native.py: %s was configured with %s; configuring afresh for %s" % (build_dir, cached[0], nvcc),
              file=sys.stderr)
        os.remove(cache)
        shutil.rmtree(os.path.join(build_dir, "CMakeFiles"), ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--install-dir", required=True)
    parser.add_argument("--jobs", type=int, default=0, help="parallel compile jobs (default: CPU count)")
    parser.add_argument("--archs", default=os.environ.get("FLASHMOE_CUDA_ARCHS", "90a;80"),
                        help="CUDA architectures, CMake syntax (default 90a;80 or $FLASHMOE_CUDA_ARCHS)")
    parser.add_argument("--build-type", default="Release")
    parser.add_argument("--no-tests", action="store_true", help="skip flashmoe_smoke and flashmoe_host_test")
    parser.add_argument("--with-mathdx", action="store_true", help="compile the cuBLASDx probe (experimental)")
    parser.add_argument("--with-nvshmem", action="store_true",
                        default=os.environ.get("FLASHMOE_WITH_NVSHMEM", "").lower() in ("1", "true", "on", "yes"),
                        help="also build libflashmoe_ep.so (expert parallelism over NVSHMEM; libflashmoe.so loads it "
                             "with dlopen only when asked; default $FLASHMOE_WITH_NVSHMEM)")
    parser.add_argument("--ptxas-verbose", action="store_true")
    parser.add_argument("--cmake-arg", action="append", default=[], help="extra -D argument, repeatable")
    parser.add_argument("--target", action="append", default=[],
                        help="build only this CMake target (repeatable; e.g. fused_test), without installing")
    args = parser.parse_args()

    cmake = shutil.which("cmake")
    if cmake is None:
        fail("cmake (>= 3.25) is not on PATH: apt-get install cmake, or python3 -m pip install cmake")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    if not generator:
        print("build_native.py: ninja not found, using CMake's default generator", file=sys.stderr)

    try:
        paths = toolchain.resolve(install=True)
    except toolchain.ToolchainError as error:
        fail(str(error))

    build_dir = os.path.abspath(args.build_dir)
    install_dir = os.path.abspath(args.install_dir)
    os.makedirs(build_dir, exist_ok=True)
    configure = [cmake, "-S", CSRC, "-B", build_dir] + generator + [
        "-DCMAKE_BUILD_TYPE=" + args.build_type,
        "-DCMAKE_CUDA_COMPILER=" + paths["nvcc"],
        "-DCMAKE_CUDA_ARCHITECTURES=" + args.archs,
        "-DFLASHMOE_CUDA_HOME=" + paths["cuda_home"],
        "-DFLASHMOE_NVSHMEM_HOME=" + paths["nvshmem_home"],
        "-DFLASHMOE_CUTLASS_INCLUDE=" + paths["cutlass_include"],
        "-DFLASHMOE_MATHDX_INCLUDE=" + paths["mathdx_include"],
        "-DFLASHMOE_WITH_MATHDX=" + ("ON" if args.with_mathdx else "OFF"),
        "-DFLASHMOE_WITH_NVSHMEM=" + ("ON" if args.with_nvshmem else "OFF"),
        "-DFLASHMOE_BUILD_TESTS=" + ("OFF" if args.no_tests else "ON"),
        "-DFLASHMOE_PTXAS_VERBOSE=" + ("ON" if args.ptxas_verbose else "OFF"),
        "-DCMAKE_INSTALL_PREFIX=" + install_dir,
    ] + args.cmake_arg
    # Re-configuring an unchanged cache is cheap, and picks up a changed option. A changed compiler is another matter:
    # CMake then drops its cache and re-runs the configure without the -D values given (FLASHMOE_CUTLASS_INCLUDE
    # "missing"), so a build folder made with another toolchain (a pin changed: a new cache folder) starts afresh.
    forget_other_compiler(build_dir, paths["nvcc"])
    run(configure)
    build = [cmake, "--build", build_dir]
    if args.jobs > 0:
        build += ["--parallel", str(args.jobs)]
    if args.target:
        build += ["--target"] + args.target
    started = time.time()
    run_build(build)
    if args.target:
        print("build_native.py: built %s in %s in %.0f s" % (", ".join(args.target), build_dir, time.time() - started),
              file=sys.stderr)
        return 0
    run([cmake, "--install", build_dir])
    ep_library = os.path.join(install_dir, "lib", "libflashmoe_ep.so")
    if not args.with_nvshmem and os.path.exists(ep_library):
        # A stale one from an earlier --with-nvshmem build would otherwise be packaged beside the new libflashmoe.so.
        os.remove(ep_library)
    library = os.path.join(install_dir, "lib", "libflashmoe.so")
    if not os.path.exists(library):
        fail("the build finished but " + library + " is missing")
    if args.with_nvshmem and not os.path.exists(ep_library):
        fail("--with-nvshmem was given but " + ep_library + " is missing")
    print("build_native.py: built %s%s in %.0f s" % (library, " and libflashmoe_ep.so" if args.with_nvshmem else "",
                                                     time.time() - started), file=sys.stderr)
    sass_check(paths.get("cuobjdump", ""), [library] + ([ep_library] if args.with_nvshmem else []), build_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
