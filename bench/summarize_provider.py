#!/usr/bin/env python3
"""Issue 6's section of the benchmark summary: the secretmem provider against the default one.

summarize_provider.py [--smoke] PRELOAD_JSON PLAIN_JSON OUT_MD

PRELOAD_JSON: provider-bench under libsecretmem-preload.so, both holders in one
process. PLAIN_JSON: provider-bench without it, the default provider only. The
target (at least 0.95x the default provider) is judged side by side, in the
preload run; the ratio against the plain run says what a server pays in all
for switching over, the secret heap under all of OpenSSL included.
"""
import argparse
import json
import sys
from pathlib import Path

TARGET = 0.95
ALGORITHMS = ["ECDSA-P256", "Ed25519", "RSA-2048"]
OPERATIONS = [("sign", "signatures/s"), ("tls13", "TLS 1.3 full handshakes/s")]


def rates(path):
    """{(operation, algorithm, holder): items per second (median)}, and errors."""
    data = json.loads(Path(path).read_text())
    out, errors = {}, []
    for b in data.get("benchmarks", []):
        name = b.get("run_name") or b["name"]
        parts = name.split("/")
        if len(parts) < 3:
            continue
        key = tuple(parts[:3])
        if b.get("error_occurred"):
            errors.append(f"{name}: {b.get('error_message', '?')}")
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if "items_per_second" in b:
            out[key] = b["items_per_second"]
    return out, errors, data.get("context", {})


def fmt_rate(x):
    return "–" if x is None else (f"{x / 1000:.2f} k" if x >= 1000 else f"{x:.0f}")


def fmt_ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"{a / b:.3f}x"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("preload", type=Path)
    ap.add_argument("plain", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()

    pre, pre_errors, context = rates(args.preload)
    plain, plain_errors, _ = rates(args.plain)
    lines = ["## 8. The OpenSSL provider (issue 6): private keys in secret memory", ""]
    if args.smoke:
        lines += ["Smoke run: every case once. Nothing here is a measurement; no target is "
                  "judged.", ""]
    lines += [
        f"On the host, real CPUs; {context.get('openssl_version', 'OpenSSL ?')}; "
        f"OpenSSL's heap in the preload run: {context.get('openssl_heap', '?')} "
        "(the secret heap's backend)."
        + ("" if args.smoke else " Medians of five rounds run in random order."), "",
        "| operation | key | default, preload run | secretmem, preload run | ratio (target "
        f"≥ {TARGET}x) | default, no preload | secretmem ÷ no-preload default |",
        "| --- | --- | --- | --- | --- | --- | --- |"]
    verdicts, status = [], 0
    for op, unit in OPERATIONS:
        for alg in ALGORITHMS:
            d = pre.get((op, alg, "default"))
            s = pre.get((op, alg, "secretmem"))
            p = plain.get((op, alg, "default"))
            lines.append(f"| {unit} | {alg} | {fmt_rate(d)} | {fmt_rate(s)} | "
                         f"{fmt_ratio(s, d)} | {fmt_rate(p)} | {fmt_ratio(s, p)} |")
            if not args.smoke:
                if d is None or s is None:
                    verdicts.append(f"- {op} {alg}: **no result**")
                    status = 1
                else:
                    met = s / d >= TARGET
                    verdicts.append(f"- {op} {alg}: {s / d:.3f}x — **{'met' if met else 'missed'}**")
    lines.append("")
    if verdicts:
        lines += ["Targets (secretmem ÷ default, side by side in the preload run):", ""] + \
            verdicts + [""]
    lines += [
        "- Ed25519 runs on libsodium in the provider (no OpenSSL heap needed), which signs "
        "faster than OpenSSL 3.0. ECDSA and RSA are the default provider's math on its key "
        "object in the secret heap, behind the provider's dispatch.",
        "- The last column is what a server pays in all for switching over: the same "
        "operation without the preload, where OpenSSL's heap is glibc's. A handshake "
        "allocates a few hundred blocks; in this benchmark the client runs in the same "
        "process, so its allocations are in the secret heap too.",
        "- Command: `make bench` (bench/run-provider-bench.sh); raw JSON: "
        "provider-preload.json and provider-plain.json beside this file.", ""]
    errors = pre_errors + [e for e in plain_errors]
    if errors:
        lines += ["Errors:", ""] + [f"- {e}" for e in errors] + [""]
        status = 1
    args.out.write_text("\n".join(lines))
    print(f"summarize_provider: wrote {args.out}")
    for e in errors:
        print(f"summarize_provider: benchmark failed: {e}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
