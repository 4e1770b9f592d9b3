#!/usr/bin/env python3
"""Issue 4's table from the runs themselves, so that no number is copied by hand: our points from the benchmark jar's
results.json files (each row's median, floor and ratio as that run measured them), the peers' from the CSV lines of
benchmarks/peers/vllm_triton_moe.py and torch_grouped_gemm.py (preset,T,config-or-impl,median_ms,...).

    python3 tools/issue4-table.py RESULTS... [--vllm CSV] [--torch CSV] [--limit 1.25]

RESULTS: results.json files, folders searched for them, or .tar.gz archives holding them (a GPU call's all.tar.gz).
A (preset, T) measured more than once keeps the last one given. Prints a Markdown table: ours, the ratio to the floor
(within --limit?), each peer, ours over the best peer, and where each number came from.
"""
import argparse
import csv
import io
import json
import os
import sys
import tarfile


def results_in(path):
    """(origin, parsed results.json) for every results.json under path (a file, a folder or a .tar.gz)."""
    if path.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as archive:
            for member in sorted(archive.getmembers(), key=lambda m: m.name):
                if member.isfile() and os.path.basename(member.name) == "results.json":
                    yield f"{path}:{member.name}", json.load(archive.extractfile(member))
    elif os.path.isdir(path):
        for folder, _, files in sorted(os.walk(path)):
            if "results.json" in files:
                name = os.path.join(folder, "results.json")
                with open(name) as f:
                    yield name, json.load(f)
    else:
        with open(path) as f:
            yield path, json.load(f)


def peer_points(path):
    """{(preset, T): median_ms} of a peer's CSV output (comment lines and the header skipped)."""
    points = {}
    if not path:
        return points
    with open(path) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(io.StringIO("".join(lines))):
        points[(row["preset"], int(row["T"]))] = float(row["median_ms"])
    return points


def table(results, vllm, torch, limit):
    ours = {}
    for origin, run in results:
        for row in run["rows"]:
            ours[(run["shape"]["name"], int(row["T"]))] = (row, origin)
    lines = ["| shape | T | ours ms | x floor | <= %gx? | vLLM ms | PyTorch ms | ours / best peer | from |" % limit,
             "|---|---|---|---|---|---|---|---|---|"]
    last_shape = None
    for (shape, t), (row, origin) in ours.items():
        peers = [p for p in (vllm.get((shape, t)), torch.get((shape, t))) if p is not None]
        best = min(peers) if peers else None
        ratio = row.get("ratio_to_floor")  # null where the run had no floor (the CPU reference)
        lines.append("| %s | %d | %.4f | %s | %s | %s | %s | %s | %s |" % (
            shape if shape != last_shape else "", t, row["median_ms"],
            "%.2f" % ratio if ratio is not None else "-", "**yes**" if ratio is not None and ratio <= limit else "no",
            "%.4f" % vllm[(shape, t)] if (shape, t) in vllm else "-",
            "%.4f" % torch[(shape, t)] if (shape, t) in torch else "-",
            "%.2f" % (row["median_ms"] / best) if best else "-", origin))
        last_shape = shape
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="+")
    p.add_argument("--vllm", help="vllm_triton_moe.py's output")
    p.add_argument("--torch", help="torch_grouped_gemm.py's output")
    p.add_argument("--limit", type=float, default=1.25, help="the issue's ratio to the floor (default 1.25)")
    a = p.parse_args(argv)
    results = [r for path in a.results for r in results_in(path)]
    if not results:
        print("issue4-table: no results.json in " + ", ".join(a.results), file=sys.stderr)
        return 2
    print(table(results, peer_points(a.vllm), peer_points(a.torch), a.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
