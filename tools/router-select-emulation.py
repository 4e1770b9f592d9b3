#!/usr/bin/env python3
"""A host emulation of router.cuh's phase-2 selection (route_token: order-preserving keys, a round's pick by the
max of the keys then the min of the tied indices, the owner lane's rescan, grouped top-k), checked against the
reference's order (Reference.select: larger first, ties to the lower id, NaN after every number) on random rows with
NaN, +-0, +-inf and ties; and the shuffle argmax it replaced, which picks a NaN held by lane 0 first.
It checks the algorithm, not the CUDA code (RouterGpuTest does that on a GPU).
Run: python3 tools/router-select-emulation.py
"""
import math, random, struct
def f32(x): return struct.unpack('f', struct.pack('f', x))[0]
def bits(x): return struct.unpack('I', struct.pack('f', x))[0]
def key(v):
    if math.isnan(v): return 0
    b = 0 if v == 0.0 else bits(v)
    return (~b & 0xffffffff) if (b & 0x80000000) else (b | 0x80000000)
NO = 0xffffffff
def warp_select(keys, idxs):
    top = max(keys)
    return min(i if k == top else NO for k, i in zip(keys, idxs))
def better(a, ia, b, ib):  # reference
    an, bn = math.isnan(a), math.isnan(b)
    if an or bn: return ia < ib if an == bn else bn
    if a != b: return a > b
    return ia < ib
def ref_select(sel, k, G, TG):
    E = len(sel); allowed = [True]*E
    if G > 1:
        size = E // G; top = min(2, size); gv = []
        for g in range(G):
            taken = set(); v = 0.0
            for m in range(top):
                best = -1
                for e in range(g*size, (g+1)*size):
                    if e not in taken and (best < 0 or better(sel[e], e, sel[best], best)): best = e
                taken.add(best); v = f32(v + sel[best]) if m else sel[best]
            gv.append(v)
        kept = [False]*G
        for m in range(TG):
            best = -1
            for g in range(G):
                if not kept[g] and (best < 0 or better(gv[g], g, gv[best], best)): best = g
            kept[best] = True
        allowed = [kept[e // size] for e in range(E)]
    ids = []
    for j in range(k):
        best = -1
        for e in range(E):
            if allowed[e] and (best < 0 or better(sel[e], e, sel[best], best)): best = e
        allowed[best] = False; ids.append(best)
    return ids
def kernel_select(sel, k, G, TG, slots):
    E = len(sel)
    blocked = [[(l + 32*i) >= E for i in range(slots)] for l in range(32)]
    if G > 1:
        size = E // G; gval = [0.0]*G
        for g in range(G):
            k1 = k2 = 0; t1 = t2 = 0.0; h1 = h2 = False
            for e in range(g*size, (g+1)*size):
                v = sel[e]; kk = key(v)
                if not h1 or kk > k1: t2, k2, h2 = t1, k1, h1; t1, k1, h1 = v, kk, True
                elif not h2 or kk > k2: t2, k2, h2 = v, kk, True
            gval[g] = f32(t1 + t2) if h2 else t1
        kept = [0]*32
        for r in range(TG):
            keys, idxs = [], []
            for l in range(32):
                bk, bi = 0, NO
                i, g = 0, l
                while g < G:
                    kk = key(gval[g])
                    if not (kept[l] >> i & 1) and (bi == NO or kk > bk): bk, bi = kk, g
                    i += 1; g += 32
                keys.append(bk); idxs.append(bi)
            ch = warp_select(keys, idxs); kept[ch % 32] |= 1 << (ch // 32)
        keptg = [(kept[g % 32] >> (g // 32)) & 1 for g in range(G)]
        for l in range(32):
            for i in range(slots):
                e = l + 32*i
                if e < E and not keptg[e // size]: blocked[l][i] = True
    keys = [[key(sel[l+32*i]) if l+32*i < E else key(0.0) for i in range(slots)] for l in range(32)]
    def find(l):
        bk, bi = 0, NO
        for i in range(slots):
            if not blocked[l][i] and (bi == NO or keys[l][i] > bk): bk, bi = keys[l][i], l + 32*i
        return bk, bi
    best = [find(l) for l in range(32)]
    ids = []
    for r in range(k):
        ch = warp_select([b[0] for b in best], [b[1] for b in best])
        ids.append(ch); o = ch % 32; blocked[o][ch // 32] = True; best[o] = find(o)
    return ids
rng = random.Random(1)
n = 0
for trial in range(3000):
    E = rng.choice([1, 2, 7, 8, 16, 33, 60, 64, 72, 128, 160, 256, 320, 384, 512])
    slots = 2 if E <= 64 else 4 if E <= 128 else 8 if E <= 256 else 16
    divs = [d for d in range(1, E+1) if E % d == 0]
    G = rng.choice(divs) if rng.random() < 0.4 else 1
    TG = rng.randint(1, G)
    size = E // G
    k = rng.randint(1, min(16, E, TG*size))
    pool = [rng.choice([0.0, -0.0, 0.5, 0.25, 1.0]) for _ in range(4)]
    sel = []
    for e in range(E):
        u = rng.random()
        if u < 0.1: v = float('nan')
        elif u < 0.3: v = rng.choice(pool)
        elif u < 0.35: v = rng.choice([float('inf'), float('-inf')])
        else: v = f32(rng.uniform(-2, 2))
        sel.append(v)
    a = ref_select(sel, k, G, TG); b = kernel_select(sel, k, G, TG, slots)
    if a != b:
        print("MISMATCH", E, G, TG, k, a, b); n += 1
        if n > 5: break
print("done, mismatches", n)

def old_select(sel, k):
    E = len(sel); blocked = [0]*32
    def precedes(v, i, bv, bi): return bi == None or v > bv or (v == bv and i < bi)
    ids = []
    for r in range(k):
        vals = []
        for l in range(32):
            bv, bi = 0.0, None
            i, e = 0, l
            while e < E:
                if not (blocked[l] >> i & 1) and (bi is None or sel[e] > bv): bv, bi = sel[e], e
                i += 1; e += 32
            vals.append([bv, bi])
        off = 16
        while off:
            new = [list(x) for x in vals]
            for l in range(32):
                ov, oi = vals[l ^ off]
                if oi is not None and precedes(ov, oi, vals[l][0], vals[l][1]): new[l] = [ov, oi]
            vals = new; off //= 2
        ch = vals[0][1]; ids.append(ch); blocked[ch % 32] |= 1 << (ch // 32)
    return ids
r2 = random.Random(2)
sel = [float('nan')] + [f32(r2.uniform(0, 1)) for _ in range(63)]
print("old picks", old_select(sel, 4), "reference", ref_select(sel, 4, 1, 1))
