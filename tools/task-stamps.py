#!/usr/bin/env python3
"""Reads a Chrome-trace JSON of a forward traced with a -DFLASHMOE_TASK_STAMPS library (perf-notes items 129-130) and
prints, per GEMM kind, the medians (and min..max) of where a swap-AB task's time goes: inputs (entry to the inputs
acquired: WAIT tile -2), k-loop (to the first epilogue: -3), tail (to the task's return: -4) and publish (the GEMM
event's end after the return: the tile's count, finish_gemm1_tile). With item 130's stamps the inputs are split into
issue (-5: the first stages' weight boxes issued), poll (-6: the inputs seen by relaxed loads) and fence (the rest:
acquire_inputs' acquire, a fence until perf-notes item 134 and an acquire load since). For GEMM1 also `ready`: the acquire's end after the last GEMM0 task of its row tile ended (how
late a waiting task sees its inputs).
A -DFLASHMOE_OS_STAMPS library's forward (perf-notes item 143) also has the OS block's stamps (block 0's WAIT tiles -11
to -15: entry to the epoch read, the count pass, the scan, the metadata and ranks, the release); they are printed in
order, with the processors' first dispatch start for reference.
    python3 tools/task-stamps.py trace-T1.json"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    data = json.load(open(path))
    events = data["traceEvents"] if isinstance(data, dict) else data
    tasks = [e for e in events if e.get("name") in ("GEMM0", "GEMM1")]
    stamps = defaultdict(list)  # tid -> [(ts, end, code)]
    for e in events:
        if e.get("name") == "WAIT" and e.get("args", {}).get("tile", -1) <= -2:
            stamps[e["tid"]].append((e["ts"], e["ts"] + e["dur"], e["args"]["tile"]))
    gemm0_end = defaultdict(float)  # row tile -> its last GEMM0 task's end
    for t in tasks:
        if t["name"] == "GEMM0":
            gemm0_end[t["args"]["tile"]] = max(gemm0_end[t["args"]["tile"]], t["ts"] + t["dur"])
    rows = defaultdict(lambda: defaultdict(list))
    for t in tasks:
        start, end = t["ts"], t["ts"] + t["dur"]
        inside = {code: (s, e) for s, e, code in stamps[t["tid"]] if start - 0.01 <= s and e <= end + 0.01}
        if not {-2, -3, -4} <= set(inside):
            continue
        r = rows[t["name"]]
        r["inputs"].append(inside[-2][1] - inside[-2][0])
        if {-5, -6} <= set(inside):
            r["issue"].append(inside[-5][1] - inside[-5][0])
            r["poll"].append(inside[-6][1] - inside[-6][0])
            r["fence"].append(inside[-2][1] - inside[-6][1])
        r["k-loop"].append(inside[-3][1] - inside[-3][0])
        r["tail"].append(inside[-4][1] - inside[-4][0])
        r["publish"].append(end - inside[-4][1])
        r["total"].append(end - start)
        if t["name"] == "GEMM1" and t["args"]["tile"] in gemm0_end:
            r["ready"].append(inside[-2][1] - gemm0_end[t["args"]["tile"]])
    os_names = {-11: "entry->epoch", -12: "count pass", -13: "scan", -14: "metadata+ranks", -15: "release"}
    os_stamps = sorted((e["args"]["tile"], e["ts"], e["ts"] + e["dur"]) for e in events
                       if e.get("name") == "WAIT" and e.get("pid") == 0 and e.get("tid") == 0
                       and e.get("args", {}).get("tile") in os_names)
    if os_stamps:
        dispatch = [e["ts"] for e in events if e.get("name") == "DISPATCH"]
        parts = ", ".join(f"{os_names[code]} {start:.2f}-{end:.2f} ({end - start:.2f})"
                          for code, start, end in sorted(os_stamps, key=lambda s: -s[0]))
        first = f"; first dispatch {min(dispatch):.2f}" if dispatch else ""
        print(f"OS block (us): {parts}{first}")
    if not rows:
        if not os_stamps:
            print("no stamped GEMM tasks (a library built with -DFLASHMOE_TASK_STAMPS, a traced forward?)")
            return 1
        return 0
    for kind in sorted(rows):
        r = rows[kind]
        parts = ", ".join(f"{name} {statistics.median(v):.2f} ({min(v):.2f}..{max(v):.2f})" for name, v in r.items())
        print(f"{kind} ({len(r['total'])} tasks, us): {parts}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
