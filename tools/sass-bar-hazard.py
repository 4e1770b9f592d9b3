#!/usr/bin/env python3
"""Candidate block barriers that a warp may reach unconverged, from a kernel's SASS (docs/perf-notes.md item 157).

    cuobjdump -sass -arch sm_90a libflashmoe.so > all.sass   # cuobjdump 13.2: pip download nvidia-cuda-cuobjdump
    python3 tools/sass-bar-hazard.py all.sass [more.sass ...]

Flags a predicated forward branch that jumps over the start of a convergence region (BSSY) to a point from which a
BAR.SYNC is reached with no BSYNC or WARPSYNC between: its lanes meet the barrier without reconverging with the lanes
that ran the region. Item 156's kernel had one: with E < 32, lanes of warp 0 skipped the OS block's per-expert loops
in one jump past their reconvergence, reached the aligned barrier (__syncthreads) unconverged and stayed so, and the
shuffle scan after it read absent lanes (fused_test hung at E = 8 / 16 over chunked routes; synccheck: "Divergent
thread(s) in warp"). A flag is a candidate to read, not a proof: a branch whose predicate is the same in every lane
of the warp is harmless. The tool drops a branch whose predicate comes from an ISETP of operands that are uniform by
construction (immediates, constant bank c[..], uniform registers UR, RZ, or vector registers last written from those
alone); other uniform ones (a bound loaded from shared memory, say) stay flagged: read them.
Exit status 0 either way; the count is printed per file and function. `--self-test` (CI) checks three hand-written
functions: a divergent jump flagged, a uniform one and a reconverged one not.
"""
import re
import sys

LINE = re.compile(r'^\s+/\*([0-9a-f]+)\*/\s+(.*?)\s*;')
BRANCH = re.compile(r'@!?U?P\d+\s+BRA\s+(?:`\()?0x([0-9a-f]+)')
ENDS_PATH = re.compile(r'(@\S+\s+)?(BRA|EXIT|RET)\b')


def functions(path):
    current, out = None, {}
    with open(path) as f:
        for raw in f:
            if 'Function :' in raw:
                current = raw.split('Function :')[1].strip()
                out[current] = []
                continue
            m = LINE.match(raw)
            if m and current is not None:
                out[current].append((int(m.group(1), 16), m.group(2)))
    return out


UNIFORM_SOURCE = re.compile(r'^(RZ|PT|!?PT|U?RZ|UR\d+|c\[0x[0-9a-f]+\]\[0x[0-9a-f]+\]|-?0x[0-9a-f]+|-?\d+)$')


def operands(op):
    body = re.sub(r'^@!?U?P\d+\s+', '', op)
    parts = body.split(None, 1)
    return parts[0], [o.strip().rstrip('.reuse').replace('.reuse', '') for o in parts[1].split(',')] if len(parts) > 1 else []


ALU = re.compile(r'^(MOV|IMAD|IADD3|LOP3|SHF|LEA|SEL|VIADD|VIMNMX|IMNMX|IABS|FLO|POPC|PRMT|BMSK|SGXT)')


def uniform_register(instructions, i, register, depth=8):
    # The last write of `register` before instruction i: a constant load, or an ALU op whose sources are uniform
    # (followed back `depth` writes). A predicated write, a load from memory or a special register (the lane, the
    # thread) is not.
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
        if not ALU.match(name):
            return False
        for o in ops[1:]:
            o = o.lstrip('-!|~')
            if UNIFORM_SOURCE.match(o):
                continue
            if re.match(r'^R\d+$', o) and uniform_register(instructions, j, o, depth - 1):
                continue
            return False
        return True
    return False


def uniform_predicate(instructions, i, predicate):
    for j in range(i - 1, -1, -1):
        name, ops = operands(instructions[j][1])
        if ops and name.startswith('ISETP') and ops[0] == predicate:
            for o in ops[2:]:
                o = o.lstrip('-!|')
                if UNIFORM_SOURCE.match(o):
                    continue
                if re.match(r'^R\d+$', o) and uniform_register(instructions, j, o):
                    continue
                return False
            return True
        if predicate in ops[:2]:
            return False  # written by something else
    return False


def hazards(instructions):
    index = {pc: i for i, (pc, _) in enumerate(instructions)}
    for i, (pc, op) in enumerate(instructions):
        m = BRANCH.match(op)
        if not m:
            continue
        predicate = re.match(r'@!?(U?P\d+)', op).group(1)
        if predicate.startswith('UP') or uniform_predicate(instructions, i, predicate):
            continue
        target = int(m.group(1), 16)
        if target <= pc or target not in index:
            continue
        if not any(o.startswith('BSSY') for _, o in instructions[i + 1:index[target]]):
            continue
        for bar_pc, o in instructions[index[target]:]:
            if o.startswith(('BSYNC', 'WARPSYNC')) or ENDS_PATH.match(o):
                break
            if 'BAR.SYNC' in o:
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


def self_test():
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.sass', delete=False) as f:
        f.write(SELF_TEST)
    found = {name: list(hazards(ins)) for name, ins in functions(f.name).items()}
    expected = {'divergent_jump': [(0x20, 0x80, 0x90)], 'uniform_jump': [], 'reconverged': []}
    if found != expected:
        print(f'sass-bar-hazard.py self-test FAILED: {found}')
        return 1
    print('sass-bar-hazard.py self-test: ok (a divergent jump flagged; a uniform one and a reconverged one not)')
    return 0


def main(paths):
    if paths == ['--self-test']:
        return self_test()
    if not paths:
        print(__doc__)
        return 2
    for path in paths:
        found = [(name, h) for name, ins in functions(path).items() for h in hazards(ins)]
        print(f'{path}: {len(found)} candidate(s)')
        for name, (pc, target, bar) in found:
            print(f'  {name}: BRA at {pc:#x} -> {target:#x}, then BAR.SYNC at {bar:#x}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
