#!/usr/bin/env python3
"""Resolves the CUDA / NVSHMEM / CUTLASS / MathDx toolchain that builds libflashmoe.so.
Environment variables win; otherwise pinned PyPI wheels are installed once into a cache this script owns."""
# Python 3 standard library only: this runs before anything else is installed.
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The pins are the build's identity: the cache directory name hashes them, so a pin change gets a fresh cache.
PINNED_WHEELS = [
    "nvidia-cuda-nvcc==13.0.88",
    "nvidia-cuda-runtime==13.0.96",
    "nvidia-cuda-crt==13.0.88",
    "nvidia-cuda-cccl==13.0.85",
    "nvidia-nvvm==13.0.88",
    "nvidia-nvshmem-cu13==3.4.5",
    "nvidia-cutlass==4.2.0.0",
    "nvidia-mathdx==25.6.0",
    # cuobjdump (+ the nvdisasm it calls) for the build's SASS check (build_native.py, tools/sass-bar-hazard.py). PyPI has
    # no 13.0 wheel of either; 13.2 reads 13.0's cubins.
    "nvidia-cuda-cuobjdump==13.2.51",
    "nvidia-cuda-nvdisasm==13.2.51",
]
REQUIRED_CUDA_MAJOR_MINOR = "13.0"
STAMP_NAME = ".flashmoe-toolchain-complete"


class ToolchainError(Exception):
    pass


def log(message):
    print("[toolchain] " + message, file=sys.stderr)


def pin_hash():
    return hashlib.sha256("\n".join(PINNED_WHEELS).encode()).hexdigest()[:12]


def default_cache_dir():
    configured = os.environ.get("FLASHMOE_TOOLCHAIN_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return os.path.join(os.path.expanduser("~"), ".cache", "flashmoe", "toolchain-" + pin_hash())


def nvcc_version(cuda_home):
    nvcc = os.path.join(cuda_home, "bin", "nvcc")
    if not os.access(nvcc, os.X_OK):
        return None
    try:
        out = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"release (\d+\.\d+)", out)
    return match.group(1) if match else None


def install_wheels(cache_dir):
    """pip-installs the pins into a temporary sibling directory and renames it into place, so a half-finished
    install (no network, killed build) never looks complete."""
    stamp = os.path.join(cache_dir, STAMP_NAME)
    if os.path.exists(stamp):
        return os.path.join(cache_dir, "site")
    parent = os.path.dirname(cache_dir)
    os.makedirs(parent, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "pip", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        raise ToolchainError(
            "python3 has no working pip, so the pinned CUDA wheels cannot be installed. Install pip "
            "(e.g. apt-get install python3-pip) or point FLASHMOE_CUDA_HOME (nvcc 13.0), FLASHMOE_NVSHMEM_HOME and "
            "FLASHMOE_CUTLASS_HOME at an existing installation.")
    temp_dir = tempfile.mkdtemp(prefix=os.path.basename(cache_dir) + ".tmp-", dir=parent)
    site = os.path.join(temp_dir, "site")
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--disable-pip-version-check",
               "--target", site] + PINNED_WHEELS
    log("installing pinned wheels into " + cache_dir + " (one time, ~2 GB download)")
    result = subprocess.run(command)
    if result.returncode != 0:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise ToolchainError(
            "pip could not install the pinned wheels (exit %d): %s\nWithout network access, set FLASHMOE_CUDA_HOME "
            "(a CUDA 13.0 root with bin/nvcc), FLASHMOE_NVSHMEM_HOME (include/, lib/libnvshmem_device.a), "
            "FLASHMOE_CUTLASS_HOME (a directory whose include/ holds cute/ and cutlass/) and optionally "
            "FLASHMOE_MATHDX_HOME, or point FLASHMOE_TOOLCHAIN_DIR at a filled cache (docs/native-build.md)."
            % (result.returncode, " ".join(PINNED_WHEELS)))
    apply_fixups(site)
    os.chmod(temp_dir, 0o755)  # mkdtemp makes it private; the cache is shared by whoever builds
    with open(os.path.join(temp_dir, STAMP_NAME), "w") as f:
        f.write("\n".join(PINNED_WHEELS) + "\n")
    if os.path.exists(cache_dir):
        # A previous attempt left an unstamped directory: it is garbage by construction.
        shutil.rmtree(cache_dir, ignore_errors=True)
    try:
        os.rename(temp_dir, cache_dir)
    except OSError:
        # Another build won the race; its install is equivalent.
        shutil.rmtree(temp_dir, ignore_errors=True)
        if not os.path.exists(stamp):
            raise
    return os.path.join(cache_dir, "site")


def symlink(target, link):
    if not os.path.lexists(link):
        os.symlink(target, link)


def apply_fixups(site):
    """The wheels spread one CUDA root over several packages under nvidia/cu13; nvcc's profile looks for lib64
    and the linker for an unversioned libcudart.so."""
    cuda = os.path.join(site, "nvidia", "cu13")
    lib = os.path.join(cuda, "lib")
    if not os.path.isdir(lib):
        raise ToolchainError("unexpected wheel layout: " + lib + " is missing")
    symlink("lib", os.path.join(cuda, "lib64"))
    if os.path.exists(os.path.join(lib, "libcudart.so.13")):
        symlink("libcudart.so.13", os.path.join(lib, "libcudart.so"))
    for tool in ("nvcc", "ptxas", "fatbinary", "nvlink", "cudafe++", "bin2c"):
        path = os.path.join(cuda, "bin", tool)
        if os.path.exists(path):
            os.chmod(path, os.stat(path).st_mode | 0o111)
    nvvm_bin = os.path.join(cuda, "nvvm", "bin")
    if os.path.isdir(nvvm_bin):
        for name in os.listdir(nvvm_bin):
            path = os.path.join(nvvm_bin, name)
            os.chmod(path, os.stat(path).st_mode | 0o111)
    nvshmem_lib = os.path.join(site, "nvidia", "nvshmem", "lib")
    if os.path.exists(os.path.join(nvshmem_lib, "libnvshmem_host.so.3")):
        symlink("libnvshmem_host.so.3", os.path.join(nvshmem_lib, "libnvshmem_host.so"))


def env_dir(name):
    value = os.environ.get(name)
    return os.path.abspath(os.path.expanduser(value)) if value else None


def resolve(install=True):
    paths = {}
    cuda = env_dir("FLASHMOE_CUDA_HOME")
    if cuda is None:
        candidate = env_dir("CUDA_HOME")
        if candidate and nvcc_version(candidate) == REQUIRED_CUDA_MAJOR_MINOR:
            cuda = candidate
    nvshmem = env_dir("FLASHMOE_NVSHMEM_HOME")
    cutlass = env_dir("FLASHMOE_CUTLASS_HOME")
    mathdx = env_dir("FLASHMOE_MATHDX_HOME")
    site = None
    # MathDx is optional (FLASHMOE_WITH_MATHDX defaults OFF): it alone never triggers the wheel install.
    if None in (cuda, nvshmem, cutlass):
        cache_dir = default_cache_dir()
        if install:
            site = install_wheels(cache_dir)
        elif os.path.exists(os.path.join(cache_dir, STAMP_NAME)):
            site = os.path.join(cache_dir, "site")
        else:
            raise ToolchainError("toolchain cache " + cache_dir + " is not installed (run without --no-install)")
        paths["cache"] = os.path.dirname(site)
    if cuda is None:
        cuda = os.path.join(site, "nvidia", "cu13")
    if nvshmem is None:
        nvshmem = os.path.join(site, "nvidia", "nvshmem")
    if cutlass is None:
        cutlass = os.path.join(site, "cutlass_library", "source")
    if mathdx is None:
        mathdx = os.path.join(site, "nvidia", "mathdx") if site else ""
    version = nvcc_version(cuda)
    if version is None:
        raise ToolchainError(os.path.join(cuda, "bin", "nvcc") + " is missing or does not run")
    if version != REQUIRED_CUDA_MAJOR_MINOR:
        log("warning: nvcc %s at %s, the build is tested with %s" % (version, cuda, REQUIRED_CUDA_MAJOR_MINOR))
    if not os.path.exists(os.path.join(nvshmem, "lib", "libnvshmem_device.a")):
        raise ToolchainError("NVSHMEM at " + nvshmem + " has no lib/libnvshmem_device.a (set FLASHMOE_NVSHMEM_HOME)")
    if not os.path.exists(os.path.join(cutlass, "include", "cute", "tensor.hpp")):
        raise ToolchainError("CUTLASS at " + cutlass + " has no include/cute/tensor.hpp (set FLASHMOE_CUTLASS_HOME)")
    paths.update({
        "cuda_home": cuda,
        "nvcc": os.path.join(cuda, "bin", "nvcc"),
        "nvcc_version": version,
        # "" when neither the CUDA root nor PATH has one (a user's FLASHMOE_CUDA_HOME without it): no SASS check then.
        "cuobjdump": shutil.which("cuobjdump", path=os.path.join(cuda, "bin")) or shutil.which("cuobjdump") or "",
        "nvshmem_home": nvshmem,
        "cutlass_include": os.path.join(cutlass, "include"),
        "mathdx_include": os.path.join(mathdx, "include") if mathdx and os.path.isdir(os.path.join(mathdx, "include")) else "",
    })
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--print-cmake-args", action="store_true", help="print -D arguments for CMake, one a line")
    group.add_argument("--print-env", action="store_true", help="print shell export lines")
    group.add_argument("--json", action="store_true", help="print the resolved paths as JSON (the default)")
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing wheels")
    args = parser.parse_args()
    try:
        paths = resolve(install=not args.no_install)
    except ToolchainError as error:
        print("toolchain.py: error: " + str(error), file=sys.stderr)
        return 2
    if args.print_cmake_args:
        print("-DCMAKE_CUDA_COMPILER=" + paths["nvcc"])
        print("-DFLASHMOE_CUDA_HOME=" + paths["cuda_home"])
        print("-DFLASHMOE_NVSHMEM_HOME=" + paths["nvshmem_home"])
        print("-DFLASHMOE_CUTLASS_INCLUDE=" + paths["cutlass_include"])
        print("-DFLASHMOE_MATHDX_INCLUDE=" + paths["mathdx_include"])
    elif args.print_env:
        print("export FLASHMOE_CUDA_HOME=" + paths["cuda_home"])
        print("export FLASHMOE_NVSHMEM_HOME=" + paths["nvshmem_home"])
        print("export FLASHMOE_CUTLASS_HOME=" + os.path.dirname(paths["cutlass_include"]))
        if paths["mathdx_include"]:
            print("export FLASHMOE_MATHDX_HOME=" + os.path.dirname(paths["mathdx_include"]))
    else:
        print(json.dumps(paths, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
