#!/usr/bin/python3
"""Summarize secret-bench's Google Benchmark JSON (bench/run-bench.sh runs it).

    summarize.py [--smoke] [--failed STATUS] [--archive DIR] [--vm TEXT] RESULTS.json OUTDIR

Writes OUTDIR/summary.md (what ran where, ratios of MAP_SECRET and
PROT_SECRET against memfd_secret and plain mlock'd memory, the kernel's
direct-map and TLB counters, and issue 4's four targets, each met or missed
with its figure) and OUTDIR/plot.png.  --archive DIR copies summary.md,
plot.png and the JSON into DIR/<date>/.  --smoke judges no target and only
checks that every benchmark ran; --failed says the run failed with that
status and judges no target either.  Exit status 1 if a benchmark reported an
error or a benchmark group is missing.

Debian's python3 with python3-matplotlib (scripts/install-deps.sh); nothing
else beyond the standard library.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

VARIANTS = ["MAP_SECRET", "PROT_SECRET", "memfd_secret", "plain", "plain_mlock"]
GROUPS = ["direct_map", "populate", "map_touch_unmap", "concurrent", "fork"]
MiB = 1 << 20
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}

# Issue 4's targets.
POPULATE_TARGET_SIZE = 64 * MiB
MIN_VS_MEMFD = 5.0  # MAP_SECRET populate throughput at least 5x memfd_secret's
MAX_VS_MLOCK = 1.3  # and within 1.3x of plain mlock'd memory
MAX_FLUSHES_PER_2MIB = 1.0
MAX_DIRECTMAP4K_LEFT_KB = 2048


def parse_size(text):
    m = re.fullmatch(r"(\d+)(KiB|MiB)", text)
    if not m:
        return None
    return int(m.group(1)) << (10 if m.group(2) == "KiB" else 20)


def size_name(size):
    return f"{size // MiB} MiB" if size >= MiB else f"{size >> 10} KiB"


def fmt(value, digits=3):
    """A number with `digits` significant figures, or n/a."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def kb_to_mib(kb):
    return None if kb is None else kb / 1024


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


class Results:
    """The benchmarks of one JSON file, by (group, variant, size)."""

    def __init__(self, path):
        data = json.loads(Path(path).read_text())
        self.context = data.get("context", {})
        self.errors = []
        runs = {}
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            parts = b["name"].split("/")
            if len(parts) < 3 or parse_size(parts[2]) is None:
                continue
            key = (parts[0], parts[1], parse_size(parts[2]))
            if b.get("error_occurred"):
                self.errors.append(f"{b['name']}: {b.get('error_message', '?')}")
                continue
            runs.setdefault(key, []).append(b)
        # With --benchmark_repetitions, the repetition of median time.
        self.runs = {}
        for key, reps in runs.items():
            reps.sort(key=lambda r: r["real_time"])
            self.runs[key] = reps[(len(reps) - 1) // 2]

    def get(self, group, variant, size):
        return self.runs.get((group, variant, size))

    def sizes(self, group):
        return sorted({s for g, _, s in self.runs if g == group})

    def variants(self):
        present = {v for _, v, _ in self.runs}
        return [v for v in VARIANTS if v in present]

    def groups(self):
        return {g for g, _, _ in self.runs}

    def mib_per_s(self, group, variant, size):
        b = self.get(group, variant, size)
        if b is None or "bytes_per_second" not in b:
            return None
        return b["bytes_per_second"] / MiB

    def seconds(self, group, variant, size):
        b = self.get(group, variant, size)
        if b is None:
            return None
        return b["real_time"] * UNIT_SECONDS[b.get("time_unit", "ns")]

    def counter(self, group, variant, size, name):
        b = self.get(group, variant, size)
        if b is None or name not in b:
            return None
        return float(b[name])

    def ncpus(self):
        return int(self.context.get("num_cpus", 1)) or 1


# --- what ran where ---------------------------------------------------------


def host_description():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), {ram} RAM, host kernel {platform.release()}"


def repo_description(repo):
    def git(*args):
        try:
            return subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "kernel") != ""
    return f"commit {commit}" + (" with uncommitted changes under kernel/" if dirty else "")


# --- the tables -------------------------------------------------------------


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def populate_table(r):
    variants = r.variants()
    header = ["size"] + [f"{v} MiB/s" for v in variants] + [
        "MAP_SECRET ÷ memfd_secret", "MAP_SECRET ÷ plain_mlock",
        "PROT_SECRET ÷ memfd_secret", "PROT_SECRET ÷ plain_mlock"]
    rows = []
    for size in r.sizes("populate"):
        t = {v: r.mib_per_s("populate", v, size) for v in variants}
        rows.append([size_name(size)] + [fmt(t[v]) for v in variants] + [
            fmt(ratio(t.get("MAP_SECRET"), t.get("memfd_secret"))),
            fmt(ratio(t.get("MAP_SECRET"), t.get("plain_mlock"))),
            fmt(ratio(t.get("PROT_SECRET"), t.get("memfd_secret"))),
            fmt(ratio(t.get("PROT_SECRET"), t.get("plain_mlock")))])
    return table(header, rows)


def speed_table(r, group, unit, scale):
    """Time per iteration, and how many times as fast MAP_SECRET is."""
    variants = r.variants()
    header = ["size"] + [f"{v} {unit}" for v in variants] + [
        "MAP_SECRET vs memfd_secret", "MAP_SECRET vs plain_mlock"]
    rows = []
    for size in r.sizes(group):
        t = {v: r.seconds(group, v, size) for v in variants}
        rows.append([size_name(size)] + [fmt(None if t[v] is None else t[v] * scale)
                                         for v in variants] + [
            fmt(ratio(t.get("memfd_secret"), t.get("MAP_SECRET"))),
            fmt(ratio(t.get("plain_mlock"), t.get("MAP_SECRET")))])
    return table(header, rows)


def concurrent_table(r):
    rows = []
    for size in r.sizes("concurrent"):
        for v in r.variants():
            two = r.mib_per_s("concurrent", v, size)
            one = r.mib_per_s("populate", v, size)
            rows.append([v, size_name(size), fmt(two), fmt(one), fmt(ratio(two, one))])
    return table(["variant", "size", "2 threads MiB/s", "1 thread MiB/s (populate)",
                  "scaling (ideal 2)"], rows)


def estimated_kernel_flushes_per_mib(r, variant, size):
    """Kernel TLB flushes from nr_tlb_*: a kernel flush runs on every CPU and
    counts nr_tlb_remote_flush_received (whole TLB) or nr_tlb_local_flush_one
    (per page) there, so the events divided by the CPUs estimate the flushes
    (a ranged flush of N pages counts N)."""
    got = [r.counter("direct_map", variant, size, f"{e}_per_MiB")
           for e in ("nr_tlb_remote_flush_received", "nr_tlb_local_flush_one")]
    if None in got:
        return None
    return sum(got) / r.ncpus()


def direct_map_rows(r):
    """(label, function of variant -> value) for the counters table."""
    size = max(r.sizes("direct_map"), default=None)

    def c(name, scale=1.0):
        def get(v):
            x = r.counter("direct_map", v, size, name)
            return None if x is None else x * scale
        return get

    def dm4k(phase):
        def get(v):
            before = r.counter("direct_map", v, size, "DirectMap4k_before_kB")
            x = r.counter("direct_map", v, size, f"DirectMap4k_{phase}_kB")
            return None if before is None or x is None else (x - before) / 1024
        return get

    rows = [
        ("level-2 (2 MiB) splits, map + populate", c("l2_splits")),
        ("level-3 (1 GiB) splits, map + populate", c("l3_splits")),
        ("level-2 splits, whole cycle (to after the drain)", c("l2_splits_total")),
        ("DirectMap4k before, MiB", c("DirectMap4k_before_kB", 1 / 1024)),
        ("DirectMap4k Δ while mapped, MiB", dm4k("mapped")),
        ("DirectMap4k Δ after unmap, MiB", dm4k("unmapped")),
        ("DirectMap4k Δ after the pool drain, MiB", dm4k("drained")),
        ("secret_tlb_flush per MiB, map + populate", c("secret_tlb_flush_per_MiB")),
        ("kernel TLB flushes per MiB (est. from nr_tlb_*), map + populate",
         lambda v: estimated_kernel_flushes_per_mib(r, v, size)),
    ]
    for e in ("nr_tlb_remote_flush", "nr_tlb_remote_flush_received", "nr_tlb_local_flush_all",
              "nr_tlb_local_flush_one"):
        rows.append((f"{e} per MiB, map + populate", c(f"{e}_per_MiB")))
    rows.append(("secret_tlb_flush per MiB, unmap + drain", c("secret_tlb_flush_release_per_MiB")))
    rows.append(("nr_tlb_remote_flush_received per MiB, unmap + drain",
                 c("nr_tlb_remote_flush_received_release_per_MiB")))
    for e in ("secret_chunk_alloc", "secret_chunk_free", "secret_page_fallback",
              "secret_page_zeroed"):
        rows.append((f"{e}, whole cycle", c(e)))
    rows += [
        ("SecretMem while mapped, MiB", c("SecretMem_mapped_kB", 1 / 1024)),
        ("SecretPool while mapped, MiB", c("SecretPool_mapped_kB", 1 / 1024)),
        ("SecretPool after unmap, MiB", c("SecretPool_unmapped_kB", 1 / 1024)),
        ("SecretPool after the drain, MiB", c("SecretPool_drained_kB", 1 / 1024)),
    ]
    return size, rows


def direct_map_table(r):
    size, rows = direct_map_rows(r)
    if size is None:
        return "No direct_map results.", None
    variants = r.variants()
    body = [[label] + [fmt(get(v)) for v in variants] for label, get in rows]
    text = table([f"{size_name(size)} per variant"] + variants, body)
    for v in variants:
        left = r.counter("direct_map", v, size, "SecretPool_drained_kB")
        if left:
            text += (f"\n\nAfter {v}'s cycle the drain left {fmt(left / 1024)} MiB in the pool "
                     "(SecretPool after the drain): those chunks stay out of the direct map until "
                     "a later drain or the pool's own trimming returns them.")
    return text, size


# --- the targets ------------------------------------------------------------


def targets(r):
    """[(target, status, figure)]; status is met, missed or n/a."""
    out = []

    def judged(ok):
        return "n/a" if ok is None else ("met" if ok else "missed")

    # 1. populate 64 MiB
    size = POPULATE_TARGET_SIZE
    m = r.mib_per_s("populate", "MAP_SECRET", size)
    vs_fd = ratio(m, r.mib_per_s("populate", "memfd_secret", size))
    vs_lock = ratio(m, r.mib_per_s("populate", "plain_mlock", size))
    ok = None if vs_fd is None or vs_lock is None else (
        vs_fd >= MIN_VS_MEMFD and vs_lock >= 1 / MAX_VS_MLOCK)
    out.append((f"Populate 64 MiB: MAP_SECRET ≥ {MIN_VS_MEMFD:g}× memfd_secret's throughput "
                f"and within {MAX_VS_MLOCK:g}× of plain mlock'd memory",
                judged(ok),
                f"MAP_SECRET {fmt(m)} MiB/s = {fmt(vs_fd)}× memfd_secret, {fmt(vs_lock)}× "
                f"plain_mlock (needs ≥ {MIN_VS_MEMFD:g}× and ≥ {fmt(1 / MAX_VS_MLOCK)}×)"))

    # 2. kernel TLB flushes per 2 MiB of fresh secret memory
    size = max(r.sizes("direct_map"), default=None)
    own = r.counter("direct_map", "MAP_SECRET", size, "secret_tlb_flush_per_MiB")
    est = estimated_kernel_flushes_per_mib(r, "MAP_SECRET", size)
    fd_est = estimated_kernel_flushes_per_mib(r, "memfd_secret", size)
    per2 = own if own is not None else est
    per2 = None if per2 is None else per2 * 2
    source = "secret_tlb_flush" if own is not None else "estimated from nr_tlb_*"
    out.append(("At most one kernel TLB flush per 2 MiB of fresh secret memory "
                "(memfd_secret: one per 4 KiB)",
                judged(None if per2 is None else per2 <= MAX_FLUSHES_PER_2MIB),
                f"MAP_SECRET {fmt(per2)} per 2 MiB ({source}; nr_tlb_* estimate "
                f"{fmt(None if est is None else est * 2)}); memfd_secret "
                f"{fmt(None if fd_est is None else fd_est / 256)} per 4 KiB (nr_tlb_* estimate)"))

    # 3. no level-2 splits for 512 MiB of MAP_SECRET
    splits = r.counter("direct_map", "MAP_SECRET", size, "l2_splits")
    fd_splits = r.counter("direct_map", "memfd_secret", size, "l2_splits")
    out.append((f"Zero level-2 direct-map splits for {size_name(size) if size else '?'} of "
                "MAP_SECRET while 2 MiB chunks are available",
                judged(None if splits is None else splits == 0),
                f"MAP_SECRET {fmt(splits)} level-2 splits (memfd_secret {fmt(fd_splits)})"))

    # 4. DirectMap4k back after unmap and drain
    def left(v, phase):
        before = r.counter("direct_map", v, size, "DirectMap4k_before_kB")
        x = r.counter("direct_map", v, size, f"DirectMap4k_{phase}_kB")
        return None if before is None or x is None else x - before

    drained = left("MAP_SECRET", "drained")
    pool_left = r.counter("direct_map", "MAP_SECRET", size, "SecretPool_drained_kB")
    fd_left = left("memfd_secret", "unmapped")
    fd_text = f"{fmt(kb_to_mib(fd_left))} MiB"
    if drained is None:
        status, figure = "n/a", (
            "no pool drain knob (/proc/sys/vm/secret_map_pool_drain) on this kernel; after "
            f"unmap MAP_SECRET left {fmt(kb_to_mib(left('MAP_SECRET', 'unmapped')))} MiB")
    else:
        status = judged(drained <= MAX_DIRECTMAP4K_LEFT_KB)
        figure = (f"MAP_SECRET {fmt(drained / 1024)} MiB above its start (SecretPool after the "
                  f"drain: {fmt(kb_to_mib(pool_left))} MiB still out of the direct map)")
    out.append(("After unmap and a pool drain, DirectMap4k back within 2 MiB of its value "
                "before the benchmark", status,
                f"{figure}; memfd_secret leaves {fd_text} in 4 KiB pages after unmap, for good"))
    return out


# --- the plot ---------------------------------------------------------------


def plot(r, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = r.variants()
    colors = dict(zip(VARIANTS, ["tab:red", "tab:orange", "tab:blue", "tab:gray", "tab:green"]))
    fig, axes = plt.subplots(2, 3, figsize=(17, 10))

    def bars(ax, groups, values, ylabel, scale="linear"):
        """Grouped bars: values[variant] is a list aligned with groups; a
        missing value is marked n/a."""
        width = 0.8 / max(len(variants), 1)
        for i, v in enumerate(variants):
            xs = [g + (i - (len(variants) - 1) / 2) * width for g in range(len(groups))]
            ys = values[v]
            ax.bar([x for x, y in zip(xs, ys) if y is not None],
                   [y for y in ys if y is not None], width, label=v, color=colors[v])
            for x, y in zip(xs, ys):
                if y is None:
                    ax.text(x, 0, "n/a", rotation=90, ha="center", va="bottom", fontsize=7,
                            color=colors[v])
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.set_ylabel(ylabel)
        if scale == "symlog":
            ax.set_yscale("symlog", linthresh=0.1)
        elif scale == "log" and any(y for ys in values.values() for y in ys if y):
            ax.set_yscale("log")

    ax = axes[0][0]
    sizes = r.sizes("populate")
    for v in variants:
        pts = [(s, r.mib_per_s("populate", v, s)) for s in sizes]
        pts = [(s, y) for s, y in pts if y]
        if pts:
            ax.plot([s / 1024 for s, _ in pts], [y for _, y in pts], "o-", label=v,
                    color=colors[v])
    ax.set_xscale("log", base=2)
    ax.set_xticks([s / 1024 for s in sizes])
    ax.set_xticklabels([size_name(s) for s in sizes])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("mapping size")
    ax.set_ylabel("MiB/s")
    ax.set_title("1. populate throughput (higher is better)")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    sizes = r.sizes("map_touch_unmap")
    bars(ax, [size_name(s) for s in sizes],
         {v: [None if r.seconds("map_touch_unmap", v, s) is None
              else r.seconds("map_touch_unmap", v, s) * 1e6 for s in sizes] for v in variants},
         "µs per map + touch + unmap")
    ax.set_title("2. map + first touch + unmap (lower is better)")

    ax = axes[0][2]
    sizes = r.sizes("concurrent")
    labels = [f"{size_name(s)}, {n}" for s in sizes for n in ("1 thread", "2 threads")]
    bars(ax, labels, {v: [x for s in sizes for x in (r.mib_per_s("populate", v, s),
                                                     r.mib_per_s("concurrent", v, s))]
                      for v in variants}, "MiB/s", scale="log")
    ax.set_title("3. two threads faulting one mapping, a half each")

    ax = axes[1][0]
    size, rows = direct_map_rows(r)
    wanted = {"DirectMap4k Δ while mapped, MiB": "mapped", "DirectMap4k Δ after unmap, MiB":
              "after unmap", "DirectMap4k Δ after the pool drain, MiB": "after drain"}
    picked = [(wanted[label], get) for label, get in rows if label in wanted]
    bars(ax, [p for p, _ in picked], {v: [get(v) for _, get in picked] for v in variants},
         "DirectMap4k above its start, MiB")
    ax.set_title(f"4. direct map in 4 KiB pages, {size_name(size) if size else '?'} populated")

    ax = axes[1][1]
    picked = [("secret_tlb_flush", lambda v: r.counter("direct_map", v, size,
                                                         "secret_tlb_flush_per_MiB")),
              ("nr_tlb_* estimate", lambda v: estimated_kernel_flushes_per_mib(r, v, size)),
              ("level-2 splits", lambda v: None if r.counter(
                  "direct_map", v, size, "l2_splits") is None else r.counter(
                  "direct_map", v, size, "l2_splits") * MiB / size)]
    bars(ax, [p for p, _ in picked], {v: [get(v) for _, get in picked] for v in variants},
         "per MiB populated (symlog)", scale="symlog")
    ax.set_title("4. kernel TLB flushes, level-2 splits per MiB")

    ax = axes[1][2]
    sizes = r.sizes("fork")
    bars(ax, [size_name(s) for s in sizes],
         {v: [None if r.seconds("fork", v, s) is None else r.seconds("fork", v, s) * 1e3
              for s in sizes] for v in variants}, "ms per fork + exit + wait")
    ax.set_title("5. fork + exit + wait, memory held (lower is better)")

    for ax in axes.flat:
        if ax.get_legend() is None and ax.has_data():
            ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# --- the summary ------------------------------------------------------------


def summary(r, args, today, plot_note):
    ctx = r.context
    smoke = args.smoke
    kernel = f"{ctx.get('kernel_release', '?')} ({ctx.get('kernel_version', '?')})"
    out = [f"# secret-bench{' smoke run' if smoke else ''}, {today}", ""]
    out += [
        "**VM times are TCG-emulated** (QEMU without KVM): an absolute time or throughput "
        "below says nothing about real hardware. The claims are the ratios between variants "
        "measured side by side in one process, and the kernel's counters.", ""]
    if args.failed:
        out += [f"**This run failed** (exit status {args.failed}: a benchmark's error, or a "
                "kernel warning during the run; see the run's log). Its figures are here for a "
                "look; no target is judged.", ""]
    if smoke:
        out += ["Smoke run: every benchmark once at small sizes, to prove they still run. "
                "Nothing here is a measurement and no target is judged.", ""]
    out += ["## What ran where", "",
            f"- Host: {host_description()}.",
            f"- VM: {args.vm or 'not said'}; {ctx.get('num_cpus', '?')} CPUs seen by the guest.",
            f"- Guest kernel: {kernel}, `VM_KERNEL={ctx.get('vm_kernel', '?')}`; repository "
            f"{repo_description(Path(__file__).resolve().parent.parent)}.",
            f"- Guest memory at start: MemTotal {fmt(int(ctx.get('MemTotal_kB_at_start', 0)) / 1024)} "
            f"MiB; DirectMap4k / 2M / 1G "
            + " / ".join(fmt(int(ctx.get(f'DirectMap{s}_kB_at_start', 0)) / 1024)
                         for s in ("4k", "2M", "1G")) + " MiB.",
            f"- Counters present: {ctx.get('counters_present') or 'none'}; absent (n/a below): "
            f"{ctx.get('counters_absent') or 'none'}. Pool drain knob: "
            f"{ctx.get('pool_drain_knob', '?')}. THP: `{ctx.get('thp_enabled', '?')}`.",
            f"- Google Benchmark run at {ctx.get('date', '?')}, library built as "
            f"{ctx.get('library_build_type', '?')}.", ""]

    if r.errors:
        out += ["## Errors", ""] + [f"- {e}" for e in r.errors] + [""]

    if not smoke and not args.failed:
        out += ["## Targets (issue 4)", "",
                table(["target", "result", "figure"],
                      [[t, f"**{s}**", f] for t, s, f in targets(r)]), ""]

    out += ["## 1. Populate throughput", "",
            "Touch every 4 KiB page of a fresh mapping (PROT_SECRET: mprotect(PROT_SECRET) of "
            "populated plain memory). Ratios are throughput ratios: above 1, the secret variant "
            "is faster. The pool is drained before every iteration, so at 4 KiB and 64 KiB "
            "MAP_SECRET and PROT_SECRET pay for taking a whole 2 MiB chunk for 1 or 16 pages; "
            "section 2 has the small-secret case with the pool warm.", "", populate_table(r), ""]
    out += ["## 2. Map + first touch + unmap", "",
            "Time per cycle; the ratio columns say how many times as fast MAP_SECRET is.", "",
            speed_table(r, "map_touch_unmap", "µs", 1e6), ""]
    out += ["## 3. Two threads faulting concurrently", "",
            "One mapping, each thread populating its own half; scaling is the two-thread "
            "throughput over the single-thread populate throughput at the same size.", "",
            concurrent_table(r), ""]
    dm_table, dm_size = direct_map_table(r)
    out += ["## 4. Direct-map state and kernel TLB flushes", "",
            f"One cycle per variant: map and populate {size_name(dm_size) if dm_size else '?'}, "
            "unmap, drain the pool (when the knob exists), with /proc/vmstat and /proc/meminfo "
            "read at each step; memfd_secret runs last, since its splits stay. Run first in the "
            "process, before any other benchmark touched secret memory.", "", dm_table, ""]
    out += ["## 5. fork() of a process holding the memory", "",
            "fork, the child exits at once, the parent waits; the ratio columns say how many "
            "times as fast it is with MAP_SECRET.", "",
            speed_table(r, "fork", "ms", 1e3), ""]
    out += ["## How it was measured", "",
            "- One `secret-bench` process (bench/) ran every variant, in the VM on the patched "
            "kernel (`make bench`, bench/run-bench.sh); the raw Google Benchmark JSON is "
            "results.json beside this file.",
            "- Variants: MAP_SECRET = mmap(MAP_SECRET); PROT_SECRET = plain memory populated "
            "untimed, then converted by the timed mprotect(PROT_SECRET); memfd_secret = "
            "memfd_secret() + ftruncate + mmap(MAP_SHARED); plain = private anonymous; "
            "plain_mlock = the same with mlock2(MLOCK_ONFAULT), locked but faulted on first "
            "touch as secret memory is. Secret memory never uses transparent huge pages, so "
            "the plain baselines of 2 MiB and more get MADV_NOHUGEPAGE: every variant faults "
            "4 KiB pages.",
            "- Populate and concurrent drain the pool before every iteration (fresh memory, "
            "chunk removal included); map + touch + unmap keeps it warm between iterations. "
            "Every case drains it when done.",
            "- Fixed iteration counts (in the JSON); the time of one iteration is the mean "
            "over them. Kernel TLB flushes estimated from nr_tlb_*: "
            "(nr_tlb_remote_flush_received + nr_tlb_local_flush_one) ÷ CPUs; a kernel flush "
            "runs on every CPU, a ranged one counts once per page.",
            f"- Plot: {plot_note}", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--failed", type=int, default=0)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--vm", default="")
    ap.add_argument("results", type=Path)
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()

    r = Results(args.results)
    today = datetime.date.today().isoformat()
    args.outdir.mkdir(parents=True, exist_ok=True)
    png = args.outdir / "plot.png"
    try:
        plot(r, png, f"secret-bench {today}, guest kernel {r.context.get('kernel_release', '?')}"
                     " — QEMU TCG: times are emulated, ratios and counters are the claims")
        plot_note = "plot.png beside this file."
    except ImportError:
        if not args.smoke:
            raise
        plot_note = "not drawn: no matplotlib (scripts/install-deps.sh installs it)."
        print(f"summarize: {plot_note}", file=sys.stderr)
    md = args.outdir / "summary.md"
    md.write_text(summary(r, args, today, plot_note))
    print(f"summarize: wrote {md}" + (f" and {png}" if png.exists() else ""))

    if args.archive:
        dated = args.archive / today
        dated.mkdir(parents=True, exist_ok=True)
        for f in (md, png, args.results):
            if f.exists():
                shutil.copy(f, dated / f.name)
        print(f"summarize: kept a copy in {dated}")

    status = 0
    for e in r.errors:
        print(f"summarize: benchmark failed: {e}", file=sys.stderr)
        status = 1
    missing = [g for g in GROUPS if g not in r.groups()]
    if missing:
        print(f"summarize: no results for {', '.join(missing)}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
