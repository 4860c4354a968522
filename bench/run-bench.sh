#!/usr/bin/env bash
# Run secret-bench in the QEMU VM on the patched kernel, then summarize it.
#
#   bench/run-bench.sh [--smoke] [BINARY [OUTDIR]]
#
# BINARY defaults to build/meson/bench/secret-bench, OUTDIR to build/bench.
# OUTDIR must be inside the build directory, which the guest can write.
# Writes OUTDIR/results.json (Google Benchmark JSON), OUTDIR/summary.md and
# OUTDIR/plot.png.  A full run also keeps a dated copy in
# bench/results/<date>/ and judges issue 4's targets.  Exit status: the VM
# run's (a failed run is still summarized, not judged or kept), else 1 if
# the summary found an error.
#
# --smoke: every benchmark once at small sizes, no targets, no dated copy
# (the vm-bench-smoke test).  Exits 77 (skip) when the kernel or the binary
# is not built, like tests/vm/vm-test.sh.
#
# The VM: kernel/scripts/vm-run.sh with VM_MEM=3G (512 MiB of secret memory
# and the baselines fit with room to spare), no scratch disk; VM_MEM,
# VM_SMP, VM_TIMEOUT and VM_KERNEL pass through.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)

smoke=0
if [[ ${1:-} == --smoke ]]; then
    smoke=1
    shift
fi
binary=${1:-$repo/build/meson/bench/secret-bench}
out=${2:-$repo/build/bench}

skip_or_fail() {
    echo "bench: $*" >&2
    if ((smoke)); then exit 77; fi
    exit 1
}

case "${VM_KERNEL:=patched}" in
patched) kernel=$repo/build/kernel/obj/arch/x86/boot/bzImage ;;
stock) kernel=$repo/build/kernel/stock/obj/arch/x86/boot/bzImage ;;
*) kernel=$VM_KERNEL ;;
esac
[[ -f $kernel ]] || skip_or_fail "no kernel at $kernel; build it with 'make kernel'"
[[ -x $binary ]] || skip_or_fail "$binary is not built; run 'meson compile -C build/meson'"
binary=$(realpath "$binary")

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
build=$(cd "$repo/build" && pwd -P)
[[ $out == "$build"/* ]] || {
    echo "bench: $out is outside $build, which is all the guest can write" >&2
    exit 1
}
json=$out/results.json
rm -f "$json" "$out/summary.md" "$out/plot.png"

export VM_KERNEL
export VM_MEM=${VM_MEM:-3G}
export VM_SMP=${VM_SMP:-2}
export VM_DISK_MB=0
args=(--benchmark_out="$json" --benchmark_out_format=json)
summary=()
if ((smoke)); then
    args=(--smoke "${args[@]}")
    summary=(--smoke)
    export VM_TIMEOUT=${VM_TIMEOUT:-800}
else
    export VM_TIMEOUT=${VM_TIMEOUT:-1800}
fi

echo "bench: $binary ${args[*]} in the VM (TCG, $VM_SMP vCPUs, $VM_MEM, kernel $VM_KERNEL)" >&2
command=$(printf '%q ' env SECRETMEM_REQUIRE_NATIVE=1 "$binary" "${args[@]}")
# A failed run (a benchmark's error, a kernel warning vm-run.sh caught) is
# still summarized, for a look, but not kept in bench/results/.
# Other work on the host slows the emulated vCPUs unevenly: say how busy it was.
load_before=$(cut -d' ' -f1 /proc/loadavg)
status=0
"$repo/kernel/scripts/vm-run.sh" "$command" || status=$?
load_after=$(cut -d' ' -f1 /proc/loadavg)
[[ -s $json ]] || {
    echo "bench: the run left no $json (status $status)" >&2
    exit $((status ? status : 1))
}
if ((status)); then
    summary+=(--failed "$status")
    echo "bench: the run failed (status $status): summarizing without judging or keeping it" >&2
elif ((!smoke)); then
    summary+=(--archive "$repo/bench/results")
fi

# Debian's python3, where apt installs matplotlib (a pyenv or venv python
# first in PATH would lack it).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
"$python" "$repo/bench/summarize.py" "${summary[@]}" \
    --vm "QEMU TCG (no KVM), $VM_SMP vCPUs, $VM_MEM RAM; host load average $load_before before the run, $load_after after" "$json" "$out" || {
    ((status)) || status=1
}
exit "$status"
