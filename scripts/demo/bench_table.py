#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The demo's short MAP_SECRET vs memfd_secret table, from secret-bench's
Google Benchmark JSON (the runs scripts/demo/guest.sh makes in the VM).

    bench_table.py [--summary FILE] RESULTS.json...

Prints the table; --summary writes the one-line comparison the demo's
summary repeats.  Exit status 1 when a benchmark failed or is missing.
Times come from TCG, an emulated CPU: only the ratios between the two,
measured side by side in one VM, and the kernel's counters mean anything.
"""
import argparse
import json
import sys

VARIANTS = ("MAP_SECRET", "memfd_secret")
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def load(paths):
    """(group, variant, size) -> benchmark entry."""
    runs = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for b in json.load(f)["benchmarks"]:
                group, variant, size = b["name"].split("/")[:3]
                runs[(group, variant, size)] = b
    return runs


def fmt(x):
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


class Table:
    def __init__(self, runs, cpus):
        self.runs = runs
        self.cpus = cpus
        self.missing = []

    def get(self, group, variant, size):
        b = self.runs.get((group, variant, size))
        if b is None or b.get("error_occurred"):
            why = b.get("error_message", "failed") if b else "missing"
            self.missing.append(f"{group}/{variant}/{size}: {why}")
            return None
        return b

    def counter(self, group, variant, size, name, scale=1.0):
        b = self.get(group, variant, size)
        return None if b is None or name not in b else b[name] * scale

    def mib_per_s(self, variant, size):
        b = self.get("populate", variant, size)
        return None if b is None else b["bytes_per_second"] / (1 << 20)

    def microseconds(self, variant, size):
        b = self.get("map_touch_unmap", variant, size)
        return None if b is None else b["real_time"] * UNIT_SECONDS[b["time_unit"]] * 1e6

    def flushes_per_2mib(self, variant, size):
        """Kernel TLB flushes for 2 MiB made secret.  The series counts its
        own (secret_tlb_flush); memfd_secret's are estimated as the summary
        of bench/ does: a kernel flush reaches every CPU, which counts it as
        nr_tlb_remote_flush_received or nr_tlb_local_flush_one."""
        if variant == "MAP_SECRET":
            return self.counter("direct_map", variant, size, "secret_tlb_flush_per_MiB", 2)
        got = [self.counter("direct_map", variant, size, f"{e}_per_MiB")
               for e in ("nr_tlb_remote_flush_received", "nr_tlb_local_flush_one")]
        return None if None in got else 2 * sum(got) / self.cpus

    def direct_map_4k_left(self, variant, size):
        before = self.counter("direct_map", variant, size, "DirectMap4k_before_kB")
        after = self.counter("direct_map", variant, size, "DirectMap4k_unmapped_kB")
        return None if None in (before, after) else (after - before) / 1024


def ratio(better, worse):
    return None if not better or not worse else better / worse


def faster(r):
    if r is None:
        return ""
    return f"{fmt(r)}x faster" if r >= 1 else f"{fmt(1 / r)}x slower"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary")
    parser.add_argument("results", nargs="+")
    args = parser.parse_args()
    runs = load(args.results)
    with open(args.results[0], encoding="utf-8") as f:
        t = Table(runs, json.load(f)["context"]["num_cpus"])
    dm = next((size for (group, _, size) in runs if group == "direct_map"), "2MiB")
    dm_text = dm.replace("MiB", " MiB")

    rows = []
    a, b = (t.mib_per_s(v, "2MiB") for v in VARIANTS)
    speed = ratio(a, b)
    rows.append(("populate 2 MiB, MiB/s", fmt(a), fmt(b), faster(speed)))
    for size in ("4KiB", "64KiB"):
        a, b = (t.microseconds(v, size) for v in VARIANTS)
        rows.append((f"map + first touch + unmap {size.replace('KiB', ' KiB')}, us", fmt(a),
                     fmt(b), faster(ratio(b, a))))
    a, b = (t.flushes_per_2mib(v, dm) for v in VARIANTS)
    flushes = (a, b)
    rows.append(("kernel TLB flushes per 2 MiB made secret", fmt(a), fmt(b),
                 f"{fmt(ratio(b, a))}x fewer"))
    a, b = (t.counter("direct_map", v, dm, "l2_splits") for v in VARIANTS)
    splits = (a, b)
    rows.append((f"2 MiB pages of the direct map split ({dm_text})", fmt(a), fmt(b), ""))
    a, b = (t.direct_map_4k_left(v, dm) for v in VARIANTS)
    rows.append(("direct map left in 4 KiB pages after unmap, MiB", fmt(a), fmt(b),
                 "memfd_secret's stays split" if b else ""))

    header = ("", *VARIANTS, "MAP_SECRET is")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for i, r in enumerate((header, *rows)):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:3], widths[1:3])]
        print("  ".join(cells + [r[3]]).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))

    if t.missing:
        for m in t.missing:
            print(f"FAILED: {m}", file=sys.stderr)
        return 1
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            f.write(f"populating 2 MiB {fmt(speed)}x faster; {fmt(flushes[0])} kernel TLB "
                    f"flush per 2 MiB instead of {fmt(flushes[1])}; {fmt(splits[0])} direct-map "
                    f"splits instead of {fmt(splits[1])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
