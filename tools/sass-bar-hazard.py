#!/usr/bin/env python3
"""Candidate block barriers that a warp may reach unconverged, from a kernel's SASS (docs/perf-notes.md item 157).

    cuobjdump -sass -arch sm_90a libflashmoe.so > all.sass   # the toolchain's cuobjdump (csrc/tools/toolchain.py)
    python3 tools/sass-bar-hazard.py all.sass [more.sass ...]   # "-": standard input
    cuobjdump -sass libflashmoe.so | python3 tools/sass-bar-hazard.py --allow csrc/tools/sass-bar-hazard.allow \
        --library libflashmoe.so -     # the build's gate (csrc/tools/build_native.py): exit 1 past the allowance

Flags a predicated forward branch that jumps over the start of a convergence region (BSSY) to a point from which a
BAR.SYNC is reached with no BSYNC or WARPSYNC between: its lanes meet the barrier without reconverging with the lanes
that ran the region. Item 156's kernel had one: with E < 32, lanes of warp 0 skipped the OS block's per-expert loops
in one jump past their reconvergence, reached the aligned barrier (__syncthreads) unconverged and stayed so, and the
shuffle scan after it read absent lanes (fused_test hung at E = 8 / 16 over chunked routes; synccheck: "Divergent
thread(s) in warp"). A flag is a candidate to read, not a proof: a branch whose predicate is the same in every lane
of the warp is harmless. The tool drops a branch whose predicate comes from an ISETP of operands that are uniform by
construction (immediates, constant bank c[..], uniform registers UR, RZ, or vector registers last written from those
alone); other uniform ones (a bound loaded from shared memory, say) stay flagged: read them.
Without --allow the exit status is 0 either way; the count is printed per file and function. With --allow FILE and
--library NAME, each (library, arch, function) may have as many candidates as FILE allows it (lines "library arch
function count  why each is harmless"; none listed: 0), and the exit status is 1 when any has more: a candidate
nobody has read. `--self-test` (CI) checks three hand-written functions (a divergent jump flagged, a uniform one and a
reconverged one not) and the allowance.
"""
import argparse
import collections
import re
import sys

LINE = re.compile(r'^\s+/\*([0-9a-f]+)\*/\s+(.*?)\s*;')
BRANCH = re.compile(r'@!?(P\d+)\s+BRA\s+(?:`\()?0x([0-9a-f]+)')  # on a vector predicate (UP: the warp's alike)
ENDS_PATH = re.compile(r'(@\S+\s+)?(BRA|EXIT|RET)\b')
UNIFORM_SOURCE = re.compile(r'^(U?RZ|PT|UR\d+|c\[0x[0-9a-f]+\]\[0x[0-9a-f]+\]|-?0x[0-9a-f]+|-?\d+)$')
ALU = re.compile(r'^(MOV|IMAD|IADD3|LOP3|SHF|LEA|SEL|VIADD|VIMNMX|IMNMX|IABS|FLO|POPC|PRMT|BMSK|SGXT)')


ARCH = re.compile(r'^\s*arch = (sm_\w+)')


def functions(lines):
    """{function name: [(pc, instruction)]} from cuobjdump -sass output (an iterable of lines). Where the output holds
    several cubins (a library built for 90a;80), each name is prefixed with its cubin's arch ("sm_80 name"): the same
    kernel is in each, and one arch's code must not replace another's."""
    current, arch, out = None, None, {}
    for raw in lines:
        a = ARCH.match(raw)
        if a:
            arch = a.group(1)
            continue
        if 'Function :' in raw:
            current = raw.split('Function :')[1].strip()
            if arch:
                current = arch + ' ' + current
            out[current] = []
            continue
        m = LINE.match(raw)
        if m and current is not None:
            out[current].append((int(m.group(1), 16), m.group(2)))
    return out


def operands(op):
    """(opcode, [destination, sources...]) of an instruction, its guard and .reuse flags dropped."""
    body = re.sub(r'^@!?U?P\d+\s+', '', op).replace('.reuse', '')
    parts = body.split(None, 1)
    return parts[0], [o.strip() for o in parts[1].split(',')] if len(parts) > 1 else []


def uniform_sources(instructions, i, sources, depth):
    """Whether every source of instruction i is the same in all lanes by construction: an immediate, c[], UR, RZ, PT,
    or a register whose last write before i is a constant load or an ALU op of such sources (`depth` writes back)."""
    for o in sources:
        o = o.lstrip('-!|~')
        if not (UNIFORM_SOURCE.match(o) or (re.match(r'^R\d+$', o) and uniform_register(instructions, i, o, depth))):
            return False
    return True


def uniform_register(instructions, i, register, depth):
    # A predicated write, a load from memory or a special register (the lane, the thread) is not uniform.
    if depth == 0:
        return False
    for j in range(i - 1, -1, -1):
        op = instructions[j][1]
        name, ops = operands(op)
        if not ops or ops[0] != register:
            continue
        if op.startswith('@'):
            return False
        if name.startswith(('LDC', 'ULDC', 'S2UR')):
            return True
        return bool(ALU.match(name)) and uniform_sources(instructions, j, ops[1:], depth - 1)
    return False


def uniform_predicate(instructions, i, predicate):
    """Whether the predicate guarding instruction i comes from an ISETP of uniform sources."""
    for j in range(i - 1, -1, -1):
        name, ops = operands(instructions[j][1])
        if ops and name.startswith('ISETP') and ops[0] == predicate:
            return uniform_sources(instructions, j, ops[2:], 8)
        if predicate in ops[:2]:
            return False  # written by something else
    return False


def hazards(instructions):
    index = {pc: i for i, (pc, _) in enumerate(instructions)}
    for i, (pc, op) in enumerate(instructions):
        m = BRANCH.match(op)
        if not m:
            continue
        target = int(m.group(2), 16)
        if target <= pc or target not in index:
            continue
        if not any(o.startswith('BSSY') for _, o in instructions[i + 1:index[target]]):
            continue
        for bar_pc, o in instructions[index[target]:]:
            if o.startswith(('BSYNC', 'WARPSYNC')) or ENDS_PATH.match(o):
                break
            if 'BAR.SYNC' in o:
                if not uniform_predicate(instructions, i, m.group(1)):  # the backward scan last: it is the costly test
                    yield pc, target, bar_pc
                break


# --self-test: three hand-written functions, in cuobjdump's layout.
SELF_TEST = """
        Function : divergent_jump
        /*0000*/                   S2R R0, SR_TID.X ;
        /*0010*/                   ISETP.GE.AND P0, PT, R0, R15, PT ;
        /*0020*/               @P0 BRA 0x0080 ;
        /*0030*/                   BSSY B0, 0x0070 ;
        /*0040*/                   STS [R0], RZ ;
        /*0060*/                   BSYNC B0 ;
        /*0070*/                   NOP ;
        /*0080*/                   IMAD.MOV.U32 R3, RZ, RZ, R0 ;
        /*0090*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;
        Function : uniform_jump
        /*0000*/                   LDC R1, c[0x0][0x258] ;
        /*0010*/                   IMAD.SHL.U32 R2, R1, 0x4, RZ ;
        /*0020*/                   ISETP.GE.AND P0, PT, R2, 0x1, PT ;
        /*0030*/              @!P0 BRA 0x0080 ;
        /*0040*/                   BSSY B0, 0x0070 ;
        /*0050*/                   STS [R0], RZ ;
        /*0060*/                   BSYNC B0 ;
        /*0080*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;
        Function : reconverged
        /*0000*/                   S2R R0, SR_TID.X ;
        /*0010*/                   BSSY B0, 0x0060 ;
        /*0020*/                   ISETP.GE.AND P0, PT, R0, R15, PT ;
        /*0030*/               @P0 BRA 0x0050 ;
        /*0040*/                   STS [R0], RZ ;
        /*0050*/                   BSYNC B0 ;
        /*0060*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;
"""


def read_allowance(path):
    """{(library, arch, function): count} from an allowance file; '#' starts a comment."""
    allowed = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.split('#', 1)[0].split()
            if not fields:
                continue
            if len(fields) < 4 or not fields[3].isdigit():
                raise ValueError(f'{path}:{number}: expected "library arch function count  why", got: {line.strip()}')
            allowed[(fields[0], fields[1], fields[2])] = int(fields[3])
    return allowed


def over_allowance(library, found, allowed):
    """The (arch, function, count, allowed) of each function of `library` with more candidates than allowed, and the
    allowances of that library that its build no longer needs in full (a lower count: the line can go down)."""
    counts = collections.Counter()
    for name, _ in found:
        arch, _, function = name.rpartition(' ')
        counts[(arch or '-', function)] += 1
    over = [(a, fn, n, allowed.get((library, a, fn), 0)) for (a, fn), n in sorted(counts.items())
            if n > allowed.get((library, a, fn), 0)]
    slack = [(a, fn, counts[(a, fn)], n) for (lib, a, fn), n in sorted(allowed.items())
             if lib == library and counts[(a, fn)] < n]
    return over, slack


def self_test():
    found = {name: list(hazards(ins)) for name, ins in functions(SELF_TEST.splitlines()).items()}
    expected = {'divergent_jump': [(0x20, 0x80, 0x90)], 'uniform_jump': [], 'reconverged': []}
    if found != expected:
        print(f'sass-bar-hazard.py self-test FAILED: {found}')
        return 1
    two_arch = functions(('arch = sm_90a\n' + SELF_TEST + 'arch = sm_80\n' + SELF_TEST).splitlines())
    flagged = [(name, h) for name, ins in two_arch.items() for h in hazards(ins)]
    if sorted(name for name, _ in flagged) != ['sm_80 divergent_jump', 'sm_90a divergent_jump']:
        print(f'sass-bar-hazard.py self-test FAILED (two cubins): {flagged}')
        return 1
    over, slack = over_allowance('lib.so', flagged, {('lib.so', 'sm_90a', 'divergent_jump'): 1,
                                                     ('lib.so', 'sm_90a', 'reconverged'): 2})
    if over != [('sm_80', 'divergent_jump', 1, 0)] or slack != [('sm_90a', 'reconverged', 0, 2)]:
        print(f'sass-bar-hazard.py self-test FAILED (allowance): over {over}, slack {slack}')
        return 1
    print('sass-bar-hazard.py self-test: ok (a divergent jump flagged in each cubin; a uniform one and a reconverged '
          'one not; the allowance)')
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sass', nargs='*', help='cuobjdump -sass output files ("-": standard input)')
    parser.add_argument('--self-test', action='store_true')
    parser.add_argument('--allow', help='the allowance file (with --library)')
    parser.add_argument('--library', help="the library's name in the allowance (with --allow)")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.sass or (args.allow is None) != (args.library is None):
        parser.error('give SASS files, and --allow with --library or neither')
    try:
        allowed = read_allowance(args.allow) if args.allow else {}
    except (OSError, ValueError) as error:
        print(f'sass-bar-hazard.py: {error}', file=sys.stderr)
        return 2
    status = 0
    for path in args.sass:
        with (open(sys.stdin.fileno(), closefd=False) if path == '-' else open(path)) as f:
            found = [(name, h) for name, ins in functions(f).items() for h in hazards(ins)]
        print(f'{args.library or path}: {len(found)} candidate(s)')
        for name, (pc, target, bar) in found:
            print(f'  {name}: BRA at {pc:#x} -> {target:#x}, then BAR.SYNC at {bar:#x}')
        if args.allow:
            over, slack = over_allowance(args.library, found, allowed)
            for arch, function, n, a in over:
                print(f'{args.library} {arch} {function}: {n} candidate(s), {a} allowed by {args.allow}')
                status = 1
            for arch, function, n, a in slack:
                print(f'{args.library} {arch} {function}: {n} candidate(s) where {args.allow} allows {a}: lower its line')
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
