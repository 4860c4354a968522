#!/usr/bin/env bash
# Run alloc-bench on this machine (the host), not in the VM.
#
#   bench/run-alloc-bench.sh [--smoke] [--summarize] BINARY OUTDIR
#
# Writes OUTDIR/alloc-host.json (Google Benchmark JSON).  make bench gets
# here through bench/run-bench.sh, which summarizes it with the VM's results.
# --smoke: every benchmark once, tiny.  --summarize: then a summary of just
# this run in OUTDIR/summary.md and OUTDIR/plot-alloc.png (with --smoke, the
# alloc-bench-smoke test: the benchmarks and the summary's allocator
# sections both keep working).  Exit status: the benchmark's, else the
# summary's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)

smoke=0
summarize=0
while [[ ${1:-} == --* ]]; do
    case $1 in
    --smoke) smoke=1 ;;
    --summarize) summarize=1 ;;
    *) break ;;
    esac
    shift
done
(($# == 2)) || {
    echo "usage: $0 [--smoke] [--summarize] BINARY OUTDIR" >&2
    exit 2
}
binary=$1
out=$2
mkdir -p "$out"
json=$out/alloc-host.json
rm -f "$json"

args=(--benchmark_out="$json" --benchmark_out_format=json)
if ((smoke)); then args=(--smoke "${args[@]}"); fi
echo "bench: $binary ${args[*]} on the host ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
status=0
"$binary" "${args[@]}" || status=$?
((summarize)) || exit "$status"

[[ -s $json ]] || {
    echo "bench: the run left no $json (status $status)" >&2
    exit $((status ? status : 1))
}
python=/usr/bin/python3
[[ -x $python ]] || python=python3
flags=()
if ((smoke)); then flags+=(--smoke); fi
if ((status)); then flags+=(--alloc-failed "$status"); fi
"$python" "$repo/bench/summarize.py" "${flags[@]}" --alloc-host "$json" "$out" || {
    ((status)) || status=1
}
exit "$status"
