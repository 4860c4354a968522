#!/usr/bin/python3
"""Summarize secret-bench's Google Benchmark JSON (bench/run-bench.sh runs it).

    summarize.py [--smoke] [--failed STATUS] [--archive DIR] [--vm TEXT]
                 [--alloc-host JSON] [--alloc-vm JSON] [--alloc-failed STATUS]
                 [RESULTS.json] OUTDIR

Writes OUTDIR/summary.md (what ran where, ratios of MAP_SECRET and
PROT_SECRET against memfd_secret and plain mlock'd memory, the kernel's
direct-map and TLB counters, and issue 4's four targets, each met or missed
with its figure) and OUTDIR/plot.png.  --alloc-host and --alloc-vm add
alloc-bench's results from the host and from the VM (issue 5: throughput
and memory of the secret allocator against glibc malloc, jemalloc,
sodium_malloc and OpenSSL's secure heap, its four targets) and
OUTDIR/plot-alloc.png; --alloc-failed says the host's alloc-bench failed
with that status (its targets are not judged).  Without RESULTS.json (the
VM's secret-bench) the summary has the allocator sections only.  --archive
DIR copies summary.md, the plots and the JSON into DIR/<date>/.  --smoke
judges no target and only checks that every benchmark ran; --failed says the
VM run failed with that status and judges no target either.  Exit status 1
if a benchmark reported an error or a benchmark group is missing.

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

# alloc-bench (issue 5).
ALLOCATORS = ["secretmem", "glibc", "jemalloc", "sodium", "openssl"]
ALLOC_LABELS = {"secretmem": "secretmem", "glibc": "glibc malloc", "jemalloc": "jemalloc",
                "sodium": "sodium_malloc", "openssl": "OpenSSL secure heap"}
ALLOC_PATTERNS = {"alloc_free": "alloc+free", "batch": "batch of 1000"}
ALLOC_GROUPS = ["live", "alloc_free", "batch"]
ALLOC_SIZES = [32, 256]
LIVE_TARGET = 1_000_000
# Issue 5's targets.
MIN_VS_GLIBC = 0.5  # secretmem 32-byte alloc+free throughput at least 0.5x glibc malloc's
MIN_VS_SODIUM = 20.0  # at least 20x sodium_malloc's
MIN_VS_OPENSSL_2T = 2.0  # at least 2x OpenSSL's secure heap with 2 threads
MAX_LIVE_MIB = 64  # 1,000,000 live 32-byte secrets in at most 64 MiB of secret memory


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


def load_json(path, errors):
    """Google Benchmark's JSON from `path`; a file left half written by a run
    killed mid-way (the OOM killer, a timeout) is an error in `errors` and
    reads as empty."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        errors.append(f"{Path(path).name} is incomplete ({e}): the run was cut short")
        return {}


class Results:
    """The benchmarks of one JSON file, by (group, variant, size)."""

    def __init__(self, path):
        self.errors = []
        data = load_json(path, self.errors)
        self.context = data.get("context", {})
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
        ("SecretMap while mapped, MiB", c("SecretMem_mapped_kB", 1 / 1024)),
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


# --- alloc-bench (issue 5) --------------------------------------------------


class AllocResults:
    """alloc-bench's JSON: throughput by (pattern, allocator, size, threads,
    round) and the memory benchmark by allocator."""

    def __init__(self, path):
        self.errors = []
        data = load_json(path, self.errors)
        self.context = data.get("context", {})
        self.rates = {}
        self.live = {}
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            parts = b["name"].split("/")
            if len(parts) < 3 or parts[0] not in ALLOC_GROUPS:
                continue
            if b.get("error_occurred"):
                self.errors.append(f"{b['name']}: {b.get('error_message', '?')}")
                continue
            if parts[0] == "live":
                self.live[parts[1]] = b
                continue
            m = re.fullmatch(r"(\d+)B", parts[2])
            rnd = next((int(p[6:]) for p in parts if p.startswith("round:")), 0)
            if m and "items_per_second" in b:
                key = (parts[0], parts[1], int(m.group(1)), int(b.get("threads", 1)))
                self.rates.setdefault(key, {})[rnd] = b["items_per_second"]

    def groups(self):
        return {k[0] for k in self.rates} | ({"live"} if self.live else set())

    def allocators(self):
        present = {k[1] for k in self.rates} | set(self.live)
        return [a for a in ALLOCATORS if a in present]

    def rounds(self):
        return max((len(v) for v in self.rates.values()), default=0)

    def rate(self, pattern, alloc, size, threads):
        """Items per second: the median over the rounds."""
        got = self.rates.get((pattern, alloc, size, threads))
        return statistics.median(got.values()) if got else None

    def ratio(self, pattern, a, b, size, threads):
        """a's throughput over b's: the median of the ratios of each round,
        whose two figures were measured seconds apart."""
        x = self.rates.get((pattern, a, size, threads))
        y = self.rates.get((pattern, b, size, threads))
        if not x or not y:
            return None
        per_round = [x[r] / y[r] for r in x if r in y and y[r]]
        return statistics.median(per_round) if per_round else None

    def counter(self, alloc, name):
        b = self.live.get(alloc)
        if b is None or name not in b:
            return None
        return float(b[name])

    def backend(self, alloc="secretmem"):
        label = (self.live.get(alloc) or {}).get("label", "")
        if label.startswith("backend="):
            return label[len("backend="):]
        return self.context.get("secretmem_backend") if alloc == "secretmem" else None


def mops(rate):
    return None if rate is None else rate / 1e6


def alloc_where(a):
    ctx = a.context
    return (f"kernel {ctx.get('kernel_release', '?')}, RLIMIT_MEMLOCK {ctx.get('memlock_limit', '?')}"
            f" (CAP_IPC_LOCK: {ctx.get('cap_ipc_lock', '?')}), vm.max_map_count "
            f"{ctx.get('max_map_count', '?')}")


def alloc_targets(host, vm):
    """[(target, status, figure)] of issue 5."""
    out = []

    def judged(values, floor):
        if not values or None in values:
            return "n/a"
        return "met" if min(values) >= floor else "missed"

    def cases(sizes, threads):
        return [(p, s, t) for s in sizes for t in threads for p in ALLOC_PATTERNS]

    def figure(other, sizes, threads):
        parts = []
        for p, s, t in cases(sizes, threads):
            parts.append(f"{ALLOC_PATTERNS[p]} {s} B {t}T {fmt(host.ratio(p, 'secretmem', other, s, t))}×")
        return "; ".join(parts)

    def ratios(other, sizes, threads):
        return [host.ratio(p, "secretmem", other, s, t) for p, s, t in cases(sizes, threads)]

    got = ratios("glibc", [32], [1, 2])
    out.append((f"32-byte alloc+free: secretmem ≥ {MIN_VS_GLIBC:g}× glibc malloc's throughput "
                "(every pattern, 1 and 2 threads)", judged(got, MIN_VS_GLIBC),
                f"lowest {fmt(min(got) if None not in got else None)}×: "
                + figure("glibc", [32], [1, 2])))
    got = ratios("sodium", ALLOC_SIZES, [1, 2])
    out.append((f"secretmem ≥ {MIN_VS_SODIUM:g}× sodium_malloc's throughput (32 and 256 B, "
                "every pattern, 1 and 2 threads)", judged(got, MIN_VS_SODIUM),
                f"lowest {fmt(min(got) if None not in got else None)}×: "
                + figure("sodium", ALLOC_SIZES, [1, 2])))
    got = ratios("openssl", ALLOC_SIZES, [2])
    out.append((f"secretmem ≥ {MIN_VS_OPENSSL_2T:g}× OpenSSL's secure heap with 2 threads "
                "(32 and 256 B, every pattern)", judged(got, MIN_VS_OPENSSL_2T),
                f"lowest {fmt(min(got) if None not in got else None)}×: "
                + figure("openssl", ALLOC_SIZES, [2])))

    rows, ok = [], []
    for where, a in (("host", host), ("VM", vm)):
        if a is None or "secretmem" not in a.live:
            continue
        live = a.counter("secretmem", "live")
        mapped = a.counter("secretmem", "secret_bytes")
        meta = a.counter("secretmem", "metadata_bytes")
        fine = live is not None and mapped is not None and live >= LIVE_TARGET and \
            mapped <= MAX_LIVE_MIB * MiB
        ok.append(fine)
        rows.append(f"{where} ({a.backend()}): {fmt(live)} live in {fmt(mib(mapped))} MiB mapped "
                    f"(metadata {fmt(mib(meta))} MiB, ordinary memory)")
    status = "n/a" if not ok else ("met" if all(ok) else "missed")
    out.append((f"{LIVE_TARGET:,} live 32-byte secrets in ≤ {MAX_LIVE_MIB} MiB of secret memory "
                "(secretmem_get_heap_stats().mapped_bytes)", status,
                "; ".join(rows) or "no secretmem memory figure"))
    return out


def mib(x):
    return None if x is None else x / MiB


def throughput_table(a):
    allocs = a.allocators()
    others = [o for o in allocs if o != "secretmem"]
    header = ["pattern", "size", "threads"] + [f"{x} M/s" for x in allocs]
    if "secretmem" in allocs:
        header += [f"secretmem ÷ {o}" for o in others]
    rows = []
    for p, label in ALLOC_PATTERNS.items():
        for s in ALLOC_SIZES:
            for t in (1, 2):
                row = [label, f"{s} B", str(t)] + [fmt(mops(a.rate(p, x, s, t))) for x in allocs]
                if "secretmem" in allocs:
                    row += [fmt(a.ratio(p, "secretmem", o, s, t)) for o in others]
                rows.append(row)
    return table(header, rows)


def in_direct_map(a, alloc):
    if alloc == "secretmem":
        backend = a.backend() or "?"
        return "yes (degraded)" if "degraded" in backend or backend.startswith("locked") else "no"
    return {"glibc": "yes", "jemalloc": "yes", "sodium": "yes (mlock only)",
            "openssl": "yes (mlock only)"}.get(alloc, "?")


def failure_text(a, alloc):
    limit = a.counter(alloc, "limit")
    searched = a.counter(alloc, "limit_searched_to")
    if limit is None:
        budget = a.counter(alloc, "limit_budget_bytes")
        if budget is not None:
            text = (f"no failure up to {fmt(searched)}: the search stopped at its "
                    f"{fmt(mib(budget))} MiB memory budget")
            if alloc == "sodium":
                text += (f"; mappings stopped growing at "
                         f"{fmt(a.counter(alloc, 'mappings_at_budget'))} (vm.max_map_count "
                         f"{fmt(a.counter(alloc, 'max_map_count'))}) while sodium_malloc "
                         f"kept succeeding: its guard-page mprotect() calls can no longer "
                         f"split a mapping, and it does not check them")
            return text
        if alloc in ("sodium", "openssl"):
            return f"no failure up to {fmt(searched)}"
        return f"no failure at {fmt(a.counter(alloc, 'live'))} (not pushed further)"
    why = ""
    if alloc == "sodium":
        why = (f": {fmt(a.counter(alloc, 'mappings_at_limit'))} mappings, vm.max_map_count "
               f"{fmt(a.counter(alloc, 'max_map_count'))}")
    elif alloc == "openssl":
        why = f": its {openssl_arena_mib(a)} MiB arena is full"
    errno_text = ""
    e = a.counter(alloc, "limit_errno")
    if e:
        errno_text = f" ({os.strerror(int(e))})"
    return f"after {fmt(limit)} live{errno_text}{why}"


def openssl_arena_mib(a):
    return fmt(mib(a.counter("openssl", "secret_bytes")))


def secret_memory_text(a, alloc):
    """The memory holding the secrets, as the allocator or the kernel says."""
    if alloc == "secretmem":
        return f"{fmt(mib(a.counter(alloc, 'secret_bytes')))} (mapped_bytes)"
    if alloc == "openssl":
        return f"{openssl_arena_mib(a)} (the arena, locked at start)"
    if alloc == "sodium":
        return f"{fmt(mib(a.counter(alloc, 'locked_delta_bytes')))} (VmLck Δ)"
    return "none: ordinary memory"


def memory_table(host, vm):
    rows = []
    for where, a in (("host", host), ("VM", vm)):
        if a is None:
            continue
        for alloc in a.allocators():
            if alloc not in a.live:
                continue
            live = a.counter(alloc, "live")
            secret = a.counter(alloc, "secret_bytes")
            if alloc == "sodium":
                secret = a.counter(alloc, "locked_delta_bytes")
            name = alloc + (f" ({a.backend()})" if alloc == "secretmem" else "")
            per = None if secret is None or not live or alloc in ("glibc", "jemalloc") \
                else secret / live
            rows.append([where, name, fmt(live), failure_text(a, alloc),
                         secret_memory_text(a, alloc), fmt(per),
                         fmt(mib(a.counter(alloc, "metadata_bytes"))),
                         fmt(mib(a.counter(alloc, "rss_delta_bytes"))),
                         fmt(mib(a.counter(alloc, "locked_delta_bytes"))),
                         fmt(a.counter(alloc, "mappings_delta")),
                         fmt(None if a.counter(alloc, "SecretMem_delta_kB") is None
                             else a.counter(alloc, "SecretMem_delta_kB") / 1024),
                         in_direct_map(a, alloc)])
    return table(["where", "allocator", f"live (of {LIVE_TARGET:,})", "fails",
                  "secret memory, MiB", "bytes per secret", "metadata MiB", "RSS Δ MiB",
                  "VmLck Δ MiB", "mappings Δ", "SecretMap Δ MiB", "in the direct map"], rows)


def alloc_sections(host, vm, args):
    """The summary's part for alloc-bench: (what ran where, targets, sections)."""
    where = []
    if host is not None:
        ctx = host.context
        load = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", [])) or "?"
        where.append(
            f"- alloc-bench (issue 5) on the host, {ctx.get('num_cpus', '?')} CPUs (2 threads "
            f"use them all), not in the VM: {alloc_where(host)}; the secret heap's backend: "
            f"{host.backend() or 'none (secretmem not built)'}; throughput and memory. "
            f"Host load average at its start: {load}.")
        if ctx.get("left_out", "none") != "none":
            where.append(f"- Left out of alloc-bench: {ctx['left_out']}.")
    else:
        where.append("- alloc-bench (issue 5) did not run on the host.")
    if vm is not None:
        where.append(
            f"- alloc-bench in the VM on the patched kernel: the memory benchmark only "
            f"(`live/`), {alloc_where(vm)}; the secret heap's backend: "
            f"{vm.backend() or 'none (secretmem not built)'}. No VM time is used.")
    else:
        where.append("- alloc-bench did not run in the VM.")

    judge = host is not None and not args.smoke and not args.failed and not args.alloc_failed
    targets_md = []
    if judge:
        targets_md = ["## Targets (issue 5)", "",
                      "Throughput from the host (real CPU, medians of the per-round ratios); "
                      "memory from every run that had the secret heap.", "",
                      table(["target", "result", "figure"],
                            [[t, f"**{s}**", f] for t, s, f in alloc_targets(host, vm)]), ""]
    elif args.alloc_failed:
        targets_md = [f"**alloc-bench failed on the host** (exit status {args.alloc_failed}): "
                      "issue 5's targets are not judged.", ""]

    body = []
    if host is not None:
        body += ["## 6. Secret allocator: alloc+free throughput (host)", "",
                 "Million allocations per second, aggregate over the threads, wall time: "
                 "*alloc+free* allocates a block, writes its first byte and frees it; *batch "
                 "of 1000* allocates 1000 blocks, then frees them in the same order. Each "
                 f"figure is the median of {host.rounds()} round(s), each running every "
                 "allocator once, close together in time; a ratio is the median of the "
                 "per-round ratios, above 1 secretmem is faster. secretmem, sodium_malloc and "
                 "the secure heap wipe a block when it is freed; glibc and jemalloc do not. "
                 "The secure heap has one global lock.", "", throughput_table(host), ""]
    if host is not None or vm is not None:
        body += ["## 7. Secret allocator: memory for 1,000,000 live 32-byte secrets", "",
                 "Each allocator is asked for 1,000,000 32-byte blocks, each written in full, "
                 "all live at once; sodium_malloc and the secure heap are then pushed on to "
                 "where they fail (up to 4,194,304). *secret memory* is what each holds for "
                 "the secrets: secretmem's mapped secret memory "
                 "(secretmem_get_heap_stats().mapped_bytes), the secure heap's fixed arena, "
                 "sodium_malloc's locked pages; glibc and jemalloc hold ordinary memory "
                 "(RSS Δ). *metadata* is secretmem's jemalloc bookkeeping, in ordinary memory. "
                 "sodium_malloc maps a guard page on each side, a header page and the data "
                 "page(s) for every block: 4 mappings, so vm.max_map_count bounds it. "
                 "SecretMap Δ is the kernel's own count (/proc/meminfo, patched kernel only).",
                 "", memory_table(host, vm), ""]
    return where, targets_md, body


def plot_alloc(host, vm, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = dict(zip(ALLOCATORS, ["tab:red", "tab:gray", "tab:purple", "tab:blue",
                                   "tab:green"]))
    fig, axes = plt.subplots(1, 3, figsize=(18, 5.5))
    allocs = host.allocators() if host is not None else []
    for ax, size in zip(axes[:2], ALLOC_SIZES):
        groups = [(p, t) for p in ALLOC_PATTERNS for t in (1, 2)]
        width = 0.8 / max(len(allocs), 1)
        for i, x in enumerate(allocs):
            xs = [g + (i - (len(allocs) - 1) / 2) * width for g in range(len(groups))]
            ys = [mops(host.rate(p, x, size, t)) for p, t in groups]
            ax.bar([u for u, y in zip(xs, ys) if y], [y for y in ys if y], width,
                   label=ALLOC_LABELS[x], color=colors[x])
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{ALLOC_PATTERNS[p]}\n{t} thread{'s' if t > 1 else ''}"
                            for p, t in groups])
        ax.set_yscale("log")
        top = max((mops(v) for k, rates in host.rates.items() if k[2] == size
                   for v in rates.values()), default=1)
        ax.set_ylim(top=top * 40)  # room for the legend above the bars
        ax.set_ylabel("million allocations / s (log)")
        ax.set_title(f"{size}-byte blocks, host (higher is better)")
        ax.legend(fontsize=8, ncol=3, loc="upper center")

    ax = axes[2]
    bars = []
    for where, a in (("host", host), ("VM", vm)):
        if a is None:
            continue
        for x in a.allocators():
            live = a.counter(x, "live")
            if live is None:
                continue
            limit = a.counter(x, "limit")
            held = limit if limit is not None else live
            note = f"{held:,.0f}" + (" max" if limit is not None else "")
            secret = a.counter(x, "secret_bytes")
            if x == "sodium":
                secret = a.counter(x, "locked_delta_bytes")
            if secret is not None:
                note += f"\n{fmt(mib(secret))} MiB"
            bars.append((f"{x}\n{where}", held, colors[x], note))
    ax.bar(range(len(bars)), [b[1] for b in bars], color=[b[2] for b in bars])
    for i, (_, held, _, note) in enumerate(bars):
        ax.text(i, held, note, ha="center", va="bottom", fontsize=6)
    ax.axhline(LIVE_TARGET, color="black", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([b[0] for b in bars], fontsize=7)
    ax.set_yscale("log")
    if bars:
        ax.set_ylim(top=max(b[1] for b in bars) * 5)
    ax.set_ylabel("live 32-byte secrets held (log); \"max\": where it fails")
    ax.set_title(f"secrets held, {LIVE_TARGET:,} asked (dashed); secret MiB")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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


def vm_parts(r, args, plot_note):
    """The VM's secret-bench (issue 4): (what ran where, errors, targets, sections, how)."""
    ctx = r.context
    kernel = f"{ctx.get('kernel_release', '?')} ({ctx.get('kernel_version', '?')})"
    where = [
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
        f"- secret-bench (issue 4) in the VM: Google Benchmark run at {ctx.get('date', '?')}, "
        f"library built as {ctx.get('library_build_type', '?')}."]
    targets_md = []
    if not args.smoke and not args.failed:
        targets_md = ["## Targets (issue 4)", "",
                      table(["target", "result", "figure"],
                            [[t, f"**{s}**", f] for t, s, f in targets(r)]), ""]
    out = []
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
    how = [
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
            f"- Plot: {plot_note}"]
    return where, r.errors, targets_md, out, how


def summary(r, host, vm, args, today, plot_note, alloc_plot_note):
    smoke = args.smoke
    title = " and ".join(t for t, there in (("secret-bench", r is not None),
                                            ("alloc-bench", host is not None or vm is not None))
                         if there) or "secret-bench"
    out = [f"# {title}{' smoke run' if smoke else ''}, {today}", ""]
    if r is not None:
        out += [
            "**VM times are TCG-emulated** (QEMU without KVM): an absolute time or throughput "
            "from the VM says nothing about real hardware. The claims are the ratios between "
            "variants measured side by side in one process, and the kernel's counters."
            + (" The allocator throughput (section 6) was measured on the host, on its real "
               "CPUs." if host is not None else ""), ""]
    if args.failed:
        out += [f"**This run failed** (exit status {args.failed}: a benchmark's error, or a "
                "kernel warning during the run; see the run's log). Its figures are here for a "
                "look; no target is judged.", ""]
    if smoke:
        out += ["Smoke run: every benchmark once at small sizes, to prove they still run. "
                "Nothing here is a measurement and no target is judged.", ""]

    where, errors, targets_md, sections, how = [], [], [], [], []
    if r is not None:
        where, errors, targets_md, sections, how = vm_parts(r, args, plot_note)
    alloc_where_md, alloc_targets_md, alloc_body = alloc_sections(host, vm, args)
    for a in (host, vm):
        if a is not None:
            errors = errors + a.errors

    out += ["## What ran where", "", f"- Host: {host_description()}."] + where + \
        alloc_where_md + [""]
    if errors:
        out += ["## Errors", ""] + [f"- {e}" for e in errors] + [""]
    out += targets_md + alloc_targets_md + sections + alloc_body
    if host is not None or vm is not None:
        how += [
            "- alloc-bench (bench/): one process per run holds every allocator: secretmem's "
            "C API (allocator/), glibc's malloc and free looked up in libc.so.6, Debian's "
            "libjemalloc.so.2 dlopen()ed with RTLD_LOCAL (malloc/free of its default arenas; "
            "the process's own malloc stays glibc's), sodium_malloc/sodium_free, and "
            "OPENSSL_secure_malloc/_free after CRYPTO_secure_malloc_init(32 MiB, 16). Each is "
            "called through a function pointer. Raw JSON: alloc-host.json and alloc-vm.json "
            "beside this file.",
            "- Throughput: Google Benchmark threads (1 and 2), at least 0.2 s per case, items "
            "per second over wall time; the memory benchmark runs first, on fresh heaps.",
            f"- Allocator plot: {alloc_plot_note}"]
    if how:
        out += ["## How it was measured", ""] + how + [""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--failed", type=int, default=0)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--vm", default="")
    ap.add_argument("--alloc-host", type=Path)
    ap.add_argument("--alloc-vm", type=Path)
    ap.add_argument("--alloc-failed", type=int, default=0)
    ap.add_argument("--provider-section", type=Path,
                    help="issue 6's section (summarize_provider.py), appended as it is")
    ap.add_argument("results", type=Path, nargs="?")
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()

    r = Results(args.results) if args.results else None
    host = AllocResults(args.alloc_host) if args.alloc_host else None
    vm = AllocResults(args.alloc_vm) if args.alloc_vm else None
    today = datetime.date.today().isoformat()
    args.outdir.mkdir(parents=True, exist_ok=True)
    png = args.outdir / "plot.png"
    alloc_png = args.outdir / "plot-alloc.png"
    for stale in (png, alloc_png):
        stale.unlink(missing_ok=True)
    no_plot = "not drawn: no matplotlib (scripts/install-deps.sh installs it)."
    plot_note = alloc_plot_note = "none: no results."
    try:
        if r is not None:
            plot(r, png, f"secret-bench {today}, guest kernel "
                         f"{r.context.get('kernel_release', '?')} — QEMU TCG: times are "
                         "emulated, ratios and counters are the claims")
            plot_note = "plot.png beside this file."
        if host is not None or vm is not None:
            plot_alloc(host, vm, alloc_png,
                       f"alloc-bench {today}: throughput on the host "
                       f"({(host.context if host else {}).get('kernel_release', '?')}, real "
                       "CPUs); memory on the host and in the VM")
            alloc_plot_note = "plot-alloc.png beside this file."
    except ImportError:
        if not args.smoke:
            raise
        plot_note = alloc_plot_note = no_plot
        print(f"summarize: {no_plot}", file=sys.stderr)
    md = args.outdir / "summary.md"
    text = summary(r, host, vm, args, today, plot_note, alloc_plot_note)
    if args.provider_section and args.provider_section.exists():
        text += "\n" + args.provider_section.read_text()
    md.write_text(text)
    drawn = [str(p) for p in (png, alloc_png) if p.exists()]
    print(f"summarize: wrote {md}" + (f" and {', '.join(drawn)}" if drawn else ""))

    if args.archive:
        dated = args.archive / today
        dated.mkdir(parents=True, exist_ok=True)
        provider = [args.provider_section.parent / n for n in
                    ("provider-preload.json", "provider-plain.json")] if args.provider_section else []
        for f in [md, png, alloc_png, args.results, args.alloc_host, args.alloc_vm] + provider:
            if f is not None and f.exists():
                shutil.copy(f, dated / f.name)
        print(f"summarize: kept a copy in {dated}")

    status = 0
    for e in (r.errors if r else []) + sum((a.errors for a in (host, vm) if a), []):
        print(f"summarize: benchmark failed: {e}", file=sys.stderr)
        status = 1
    missing = [g for g in GROUPS if g not in r.groups()] if r else []
    if host is not None:
        missing += [f"alloc-bench {g} (host)" for g in ALLOC_GROUPS if g not in host.groups()]
    if vm is not None and "live" not in vm.groups():
        missing.append("alloc-bench live (VM)")
    if missing:
        print(f"summarize: no results for {', '.join(missing)}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
