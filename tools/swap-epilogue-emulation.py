#!/usr/bin/env python3
# Host emulation of the swap-AB epilogues' index math (processor/tasks.cuh store_gemm0_swapped_as and
# run_gemm1_swap_task's epilogue; docs/perf-notes.md items 71, 73, 74) under the PTX m64nNk16 D-fragment layout: thread
# (warp w, lane l) register r of an m64n16 holds D[m = 16w + l/4 + 8((r%4)/2)][n = 8(r/4) + 2(l%4) + r%2]. Swapped,
# m is the weight row (the output column inside the box) and n the token. Checks that every valid (token, column) of a
# piece is stored exactly once, from the right gate and up values (GEMM0: gated 64-column pieces, gated narrow pieces
# whose up half passes between warps through `exchange`, ungated; GEMM1: 64-column, narrow and wide pieces).
# It mirrors the C++ by hand: change both together. Run: python3 tools/swap-epilogue-emulation.py
import itertools

def swapped_row(lane, r): return (r // 4) * 8 + (lane % 4) * 2 + r % 2
def swapped_column(warp, lane, r): return warp * 16 + lane // 4 + ((r % 4) // 2) * 8

def frag(warp, lane, r):  # the hardware's (m, n) of register r (PTX layout)
    return 16 * warp + lane // 4 + 8 * ((r % 4) // 2), 8 * (r // 4) + 2 * (lane % 4) + r % 2

def gemm0(narrow, gated, valid_m, valid_n):
    # D_b[m][n] for region b: narrow gated -> region 0 rows 0..31 gate of column m, rows 32..63 up of column m-32
    def region_value(b, m, n):
        if gated and narrow:
            return ('gate', m, n) if m < 32 else ('up', m - 32, n)
        if gated:
            return ('gate' if b == 0 else 'up', m, n)
        return ('val', m, n)
    regions = 1 if (narrow or not gated) else 2
    acc = {}
    for w, l, r in itertools.product(range(4), range(32), range(8)):
        m, n = frag(w, l, r)
        for b in range(regions):
            acc[(b, w, l, r)] = region_value(b, m, n)
    exchange = {}
    if gated and narrow:
        for w, l, r in itertools.product(range(2, 4), range(32), range(8)):
            exchange[((w - 2) * 8 + r, l)] = acc[(0, w, l, r)]
    stores = {}
    for w, l in itertools.product(range(4), range(32)):
        if gated and narrow and w >= 2: continue
        first = [acc[(0, w, l, r)] for r in range(8)]
        second = [acc[(regions - 1, w, l, r)] for r in range(8)]
        up = [second[r] if gated else first[r] for r in range(8)]
        if gated and narrow:
            up = [exchange[(w * 8 + r, l)] for r in range(8)]
        for half in range(2):
            column = swapped_column(w, l, 2 * half)
            if column >= valid_n: continue
            for r in range(8):
                if (r % 4) // 2 != half: continue
                row = swapped_row(l, r)
                if row >= valid_m: continue
                assert swapped_column(w, l, r) == column
                key = (row, column)
                assert key not in stores, key
                stores[key] = (first[r], up[r])
    for row, col in itertools.product(range(valid_m), range(valid_n)):
        g, u = stores.pop((row, col))
        if gated:
            assert g == ('gate', col, row) and u == ('up', col, row), (row, col, g, u)
        else:
            assert u == ('val', col, row)
    assert not stores

def gemm1(boxes, narrow, valid_m, hidden_left):
    block_columns = 32 if narrow else 64
    stores = {}
    for b, w, l, r in itertools.product(range(boxes), range(4), range(32), range(8)):
        m, n = frag(w, l, r)
        half = (r % 4) // 2
        box_column = swapped_column(w, l, 2 * half)
        assert box_column == m
        column = b * 64 + box_column
        if box_column >= block_columns or column >= hidden_left: continue
        row = swapped_row(l, r)
        assert row == n
        if row >= valid_m: continue
        assert (row, column) not in stores
        stores[(row, column)] = (b, m, n)
    width = block_columns if boxes == 1 else 128
    for row, col in itertools.product(range(valid_m), range(min(width, hidden_left))):
        b, m, n = stores.pop((row, col))
        assert b * 64 + m == col and n == row
    assert not stores

for narrow, gated in [(True, True), (False, True), (False, False)]:
    width = 32 if narrow else 64
    for valid_m in (1, 2, 7, 16):
        for valid_n in (1, 8, width - 1, width):
            gemm0(narrow, gated, valid_m, valid_n)
for boxes, narrow in [(1, True), (1, False), (2, False)]:
    for valid_m in (1, 5, 16):
        for left in (8, 32, 40, 64, 100, 128, 1000):
            gemm1(boxes, narrow, valid_m, left)
print("swap-AB epilogue index emulation: every valid (token, column) stored once, from the right values")
