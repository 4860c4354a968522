#!/usr/bin/env bash
# Run provider-bench on this machine (the host, real CPUs), twice:
#
#   bench/run-provider-bench.sh [--smoke] BINARY PRELOAD_LIB OUTDIR
#
#  - under PRELOAD_LIB (libsecretmem-preload.so), where OpenSSL's heap is
#    secret: the key in the secretmem provider and in the default provider,
#    side by side in one process (OUTDIR/provider-preload.json);
#  - without it, the default provider as a server runs today
#    (OUTDIR/provider-plain.json).
# Then bench/summarize_provider.py writes OUTDIR/provider.md, issue 6's
# section of the summary.  --smoke: every case once; nothing is judged.
# Exit status: the first failed run's, else the summary's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
smoke=0
if [[ ${1:-} == --smoke ]]; then
    smoke=1
    shift
fi
(($# == 3)) || {
    echo "usage: $0 [--smoke] BINARY PRELOAD_LIB OUTDIR" >&2
    exit 2
}
binary=$1
preload=$2
out=$3
mkdir -p "$out"
rm -f "$out/provider-preload.json" "$out/provider-plain.json" "$out/provider.md"

common=(--benchmark_out_format=json)
if ((smoke)); then
    common=(--smoke "${common[@]}")
else
    # Five rounds in random order, so that a slow spell of this shared
    # machine falls on both holders alike; the summary takes the medians.
    common+=(--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
        --benchmark_report_aggregates_only=true)
fi
status=0
echo "bench: $binary under $preload on the host ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
env LD_PRELOAD="$preload" "$binary" "${common[@]}" --benchmark_out="$out/provider-preload.json" ||
    status=$?
echo "bench: $binary without the preload" >&2
"$binary" "${common[@]}" --benchmark_filter=/default/ --benchmark_out="$out/provider-plain.json" ||
    { ((status)) || status=$?; }

python=/usr/bin/python3
[[ -x $python ]] || python=python3
flags=()
if ((smoke)); then flags+=(--smoke); fi
"$python" "$repo/bench/summarize_provider.py" "${flags[@]}" "$out/provider-preload.json" \
    "$out/provider-plain.json" "$out/provider.md" || { ((status)) || status=1; }
exit "$status"
