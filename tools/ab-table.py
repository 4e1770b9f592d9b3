#!/usr/bin/env python3
"""The median tables of tools/run-bench-ab.sh as Markdown, for a results README.

run-bench-ab.sh ends with two sections of lines "PRESET T=N VARIANT: r1 r2 ..." (one value per round): forward
medians, then router medians. This prints one table per section: a row per (preset, T), a column per variant with
its rounds ("r1 / r2"), and, for every variant but the base, the change of its rounds' mean against the base's mean
in per cent. A round that did not run (a timeout, a failed run) is simply absent from its cell.

    python3 tools/ab-table.py bench-large.txt [--base main] [--section forward|router|both]

--self-test checks the parsing and the arithmetic on a built-in sample and exits non-zero on a mismatch.
"""
import argparse
import re
import sys

SECTIONS = {"forward": "== forward medians", "router": "== router medians"}
LINE = re.compile(r"^(\S+) T=(\d+) (\S+): ?(.*)$")


def parse(text):
    """{section: {(preset, T): {variant: [values]}}} and the variants in first-seen order."""
    tables, variants, section = {}, [], None
    for raw in text.splitlines():
        line = raw.rstrip()
        started = [name for name, head in SECTIONS.items() if line.startswith(head)]
        if started:
            section = started[0]
            tables.setdefault(section, {})
            continue
        if line.startswith("=="):
            section = None
            continue
        match = LINE.match(line) if section else None
        if not match:
            continue
        preset, tokens, variant, values = match.groups()
        if variant not in variants:
            variants.append(variant)
        cell = tables[section].setdefault((preset, int(tokens)), {}).setdefault(variant, [])
        cell.extend(float(v) for v in values.split())
    return tables, variants


def mean(values):
    return sum(values) / len(values)


def render(rows, variants, base, unit):
    out = ["| preset | T | " + " | ".join(variants) + " |", "|---|---|" + "---|" * len(variants)]
    for (preset, tokens) in sorted(rows):
        cells = rows[(preset, tokens)]
        base_values = cells.get(base)
        shown = []
        for variant in variants:
            values = cells.get(variant)
            if not values:
                shown.append("")
                continue
            text = " / ".join(f"{v:.4f}" for v in values)
            if variant != base and base_values:
                change = 100.0 * (mean(values) / mean(base_values) - 1.0)
                text += f" ({change:+.1f} %)"
            shown.append(text)
        out.append(f"| {preset} | {tokens} | " + " | ".join(shown) + " |")
    return f"{unit}, rounds per cell; in brackets the mean's change against {base}'s\n\n" + "\n".join(out)


SAMPLE = """== forward medians (ms) by preset, T and variant, rounds 2
paper T=1 main: 0.0500 0.0520
paper T=1 new: 0.0450 0.0450
qwen3-30b-a3b T=16384 main: 3.4000
== router medians (ms; the benchmark's router column) by preset, T and variant, rounds 2
paper T=1 main: 0.0078 0.0080
paper T=1 new: 0.0079 0.0079
"""


def self_test():
    tables, variants = parse(SAMPLE)
    failures = []
    if variants != ["main", "new"]:
        failures.append(f"variants {variants}")
    if tables["forward"][("paper", 1)]["new"] != [0.045, 0.045]:
        failures.append("forward values")
    if tables["router"][("paper", 1)]["main"] != [0.0078, 0.0080]:
        failures.append("router values")
    table = render(tables["forward"], variants, "main", "ms")
    if "| paper | 1 | 0.0500 / 0.0520 | 0.0450 / 0.0450 (-11.8 %) |" not in table:
        failures.append("paper row:\n" + table)
    if "| qwen3-30b-a3b | 16384 | 3.4000 |  |" not in table:
        failures.append("a variant's missing cell:\n" + table)
    for failure in failures:
        print("FAIL", failure)
    print("self-test", "FAIL" if failures else "PASS")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="run-bench-ab.sh's output")
    parser.add_argument("--base", default="main", help="the variant the others are compared with (default main)")
    parser.add_argument("--section", choices=["forward", "router", "both"], default="forward")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.file:
        parser.error("give run-bench-ab.sh's output file (or --self-test)")
    with open(args.file) as f:
        tables, variants = parse(f.read())
    if args.base not in variants:
        parser.error(f"no variant {args.base!r} in {args.file} (variants: {', '.join(variants) or 'none'})")
    for section in (["forward", "router"] if args.section == "both" else [args.section]):
        if section not in tables:
            print(f"no {section} medians in {args.file}", file=sys.stderr)
            return 1
        print(f"{section.capitalize()} medians: {render(tables[section], variants, args.base, 'ms')}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
