#!/usr/bin/env python3
"""Where a kernel's SASS instructions come from: each instruction charged to the source function it was inlined from.

Build with line info (csrc's CMake with -DCMAKE_CUDA_FLAGS=-lineinfo; it does not change the code), then:

    cuobjdump -xelf all libflashmoe.so                      # writes the .cubin files here
    nvdisasm -gi -c FILE.cubin > all.sass                   # -gi: line info with the inlining chain
    python3 tools/sass-by-source.py all.sass --function moe_forward_kernelI13__nv_bfloat16 [--top 40]
        [--cold report_error,trace_record] [--callers report_error]

nvdisasm writes, before each run of instructions, one `//## File "F", line L inlined at "G", line M` line per level of
the inlining chain, innermost first. An instruction is charged to the innermost location's function, found as the
nearest function definition (a __device__ / __global__ line) at or above that line in the source file, which must
be readable at the path the line info names. Printed: the instructions per function; with --cold, the instructions
whose chain passes through any of the named functions, by the outermost frame below the kernel, and with --layout
where their runs sit in the section (skipped blocks between hot code, or gathered at its end); with --callers, the
call sites of one function (its innermost caller outside it); with --inside, the instructions whose chain passes
through one function, by the frame just inside it and that frame's call line. docs/perf-notes.md items 122-124 use
it (124: --inside run_processor, --function run_gemm1_swap_task --cold report_error --layout).

--self-test checks the parsing on a built-in sample and exits non-zero on a mismatch.
"""
import argparse
import bisect
import collections
import itertools
import re
import sys

LOCATION = re.compile(r'File "([^"]+)", line (\d+)')
INSTRUCTION = re.compile(r"^\s+/\*[0-9a-f]{4,}\*/\s")
SECTION = re.compile(r"^//-+ \.text\.(\S+) -+")
DEFINITION = re.compile(r"^\s{0,4}(?:template\s*<.*>\s*)?"
                        r"(?:__device__|__global__|FLASHMOE_HOST_DEVICE|__host__ __device__)"
                        r"[^;{]*?\b([A-Za-z_]\w*)\s*\(")
NOT_NAMES = {"if", "for", "while", "switch", "return", "sizeof", "static_cast", "reinterpret_cast", "alignas"}


def chains(lines, function):
    """Yields (chain, instruction line) for each instruction of the named function's section; a chain is the list of
    (file, line) from the innermost location out (the line: to pick instructions by opcode, e.g. the spills)."""
    inside = False
    chain = []
    in_comments = False
    for line in lines:
        section = SECTION.match(line)
        if section:
            inside = function in section.group(1)
            continue
        if not inside:
            continue
        if line.lstrip().startswith("//##"):
            found = [(f, int(n)) for f, n in LOCATION.findall(line)]
            if not in_comments:
                chain = found
            else:
                chain += [loc for loc in found if not chain or chain[-1] != loc]
            in_comments = True
        elif INSTRUCTION.match(line):
            in_comments = False
            yield list(chain), line


class Functions:
    """Maps (file, line) to the function defined nearest at or above the line."""

    def __init__(self, reader=None):
        self.reader = reader or (lambda path: open(path).read().split("\n"))
        self.files = {}

    def name(self, path, line):
        if path not in self.files:
            starts, names = [], []
            try:
                text = self.reader(path)
            except OSError:
                text = []
            for number, source in enumerate(text, 1):
                match = DEFINITION.match(source)
                if match and match.group(1) not in NOT_NAMES:
                    starts.append(number)
                    names.append(match.group(1))
            self.files[path] = (starts, names)
        starts, names = self.files[path]
        k = bisect.bisect_right(starts, line) - 1
        return names[k] if k >= 0 else "?"


def short(path):
    return path.split("/csrc/")[-1] if "/csrc/" in path else path.rsplit("/", 1)[-1]


def report(lines, function, functions, top, cold, callers, kernel_file="moe_kernel.cuh", inside="", layout=False):
    """The tables as text lines."""
    by_function = collections.Counter()
    by_cold = collections.Counter()
    by_caller = collections.Counter()
    by_inside = collections.Counter()
    cold_marks = []  # per instruction of the section: whether its chain passes through a --cold function
    total = 0
    for chain, _ in chains(lines, function):
        total += 1
        names = [functions.name(f, n) for f, n in chain]
        hit = next((n for n in names if n in cold), None)  # the innermost --cold function on the chain
        cold_marks.append(hit is not None)
        if not chain:
            continue
        by_function[(short(chain[0][0]), names[0])] += 1
        if hit:
            below_kernel = [nm for (f, _), nm in zip(chain, names) if kernel_file not in f]
            by_cold[(below_kernel[-1] if below_kernel else "kernel", hit)] += 1
        if inside and inside in names:
            k = names.index(inside)  # the innermost frame of `inside`; the one before it is what it called
            by_inside[(names[k - 1] if k > 0 else "(own)", short(chain[k][0]), chain[k][1])] += 1
        if callers and names[0] == callers:
            for (f, n), nm in zip(chain[1:], names[1:]):
                if nm != callers:
                    by_caller[(short(f), n, nm)] += 1
                    break
    out = [f"{total} instructions"]
    out += [f"{c:7d}  {f}  {n}" for (f, n), c in by_function.most_common(top)]
    if cold:
        out.append(f"-- through {', '.join(sorted(cold))}, by the outermost frame below the kernel: "
                   f"{sum(by_cold.values())}")
        out += [f"{c:7d}  {outer}  {hit}" for (outer, hit), c in by_cold.most_common(top)]
    if cold and layout:
        runs = []  # (first instruction, length) of each run of cold instructions, in section order
        start = 0
        for marked, run in itertools.groupby(cold_marks):
            length = len(list(run))
            if marked:
                runs.append((start, length))
            start += length
        out.append(f"-- where they sit in the section of {total} instructions: {len(runs)} runs (start, share, length)")
        out += [f"{start:7d}  {100 * start / total:5.1f} %  {length}" for start, length in runs]
    if callers:
        out.append(f"-- call sites of {callers}")
        out += [f"{c:7d}  {f}:{n}  {nm}" for (f, n, nm), c in by_caller.most_common(top)]
    if inside:
        out.append(f"-- inside {inside}: {sum(by_inside.values())}, by the frame it called and the line of the call")
        out += [f"{c:7d}  {nm}  {f}:{n}" for (nm, f, n), c in by_inside.most_common(top)]
    return out


SAMPLE_SASS = """//--------------------- .text._Z6kernelv --------------------------
	//## File "/x/csrc/a.cuh", line 4 inlined at "/x/csrc/k.cuh", line 3
	//## File "/x/csrc/k.cuh", line 3
        /*0000*/                   MOV R1, c[0x0][0x28] ;
        /*0010*/                   NOP ;
	//## File "/x/csrc/b.cuh", line 2 inlined at "/x/csrc/a.cuh", line 5
	//## File "/x/csrc/a.cuh", line 5 inlined at "/x/csrc/k.cuh", line 3
	//## File "/x/csrc/k.cuh", line 3
        /*0020*/                   STL [R1], R2 ;
//--------------------- .text._Z5otherv --------------------------
	//## File "/x/csrc/k.cuh", line 3
        /*0000*/                   EXIT ;
"""
SAMPLE_SOURCES = {
    "/x/csrc/a.cuh": ["", "", "__device__ inline void outer_fn(int x) {", "  y();", "  cold_fn();", "}"],
    "/x/csrc/b.cuh": ["__device__ void cold_fn() {", "  z();", "}"],
    "/x/csrc/k.cuh": ["__global__ void kernel() {", "", "  outer_fn(1);", "}"],
}


def self_test():
    functions = Functions(lambda path: SAMPLE_SOURCES[path])
    got = report(SAMPLE_SASS.split("\n"), "_Z6kernelv", functions, 10, {"cold_fn"}, "cold_fn",
                 kernel_file="k.cuh", inside="outer_fn", layout=True)
    want = ["3 instructions",
            "      2  a.cuh  outer_fn",
            "      1  b.cuh  cold_fn",
            "-- through cold_fn, by the outermost frame below the kernel: 1",
            "      1  outer_fn  cold_fn",
            "-- where they sit in the section of 3 instructions: 1 runs (start, share, length)",
            "      2   66.7 %  1",
            "-- call sites of cold_fn",
            "      1  a.cuh:5  outer_fn",
            "-- inside outer_fn: 3, by the frame it called and the line of the call",
            "      2  (own)  a.cuh:4",
            "      1  cold_fn  a.cuh:5"]
    if got != want:
        print("sass-by-source self-test FAILED:")
        print("\n".join(["  got  " + line for line in got] + ["  want " + line for line in want]))
        return 1
    print("sass-by-source self-test PASS")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sass", nargs="?", help="nvdisasm -gi output")
    parser.add_argument("--function", help="part of the kernel's mangled name (its .text section)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--cold", default="", help="comma-separated functions to total by outermost frame")
    parser.add_argument("--callers", default="", help="one function whose call sites to list")
    parser.add_argument("--inside", default="", help="one function whose instructions to list by what it called")
    parser.add_argument("--layout", action="store_true", help="with --cold: where their runs sit in the section")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.sass or not args.function:
        parser.error("give the nvdisasm output and --function")
    if args.layout and not args.cold:
        parser.error("--layout needs --cold (it places the --cold functions' runs)")
    with open(args.sass) as f:
        lines = f.read().split("\n")
    cold = {n for n in args.cold.split(",") if n}
    print("\n".join(report(lines, args.function, Functions(), args.top, cold, args.callers, inside=args.inside,
                           layout=args.layout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
