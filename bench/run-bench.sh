#!/usr/bin/env bash
# Run secret-bench in the QEMU VM on the patched kernel, and alloc-bench on
# the host and in the VM, then summarize them.
#
#   bench/run-bench.sh [--smoke] [BINARY [OUTDIR]]
#
# BINARY defaults to build/meson/bench/secret-bench, OUTDIR to build/bench;
# alloc-bench is BINARY's sibling (ALLOC_BENCH overrides it; when it is not
# built, issue 5's benchmarks are left out with a note).
# OUTDIR must be inside the build directory, which the guest can write.
# Writes OUTDIR/results.json (secret-bench's Google Benchmark JSON),
# OUTDIR/alloc-host.json and OUTDIR/alloc-vm.json (alloc-bench's),
# OUTDIR/summary.md, OUTDIR/plot.png and OUTDIR/plot-alloc.png.  A full run
# also keeps a dated copy in bench/results/<date>/ and judges issue 4's and
# issue 5's targets.  Exit status: the VM run's (a failed run is still
# summarized, not judged or kept), else alloc-bench's, else 1 if the summary
# found an error.
#
# What runs where: alloc-bench runs first on the host, where its timings are
# real (throughput and memory; the secret heap uses memfd_secret there),
# before the VM starts, so that TCG does not compete for the CPUs.  In the
# VM, after secret-bench (whose direct-map figures must come first), it runs
# its memory benchmark only (live/), on the native MAP_SECRET backend.
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
alloc_binary=${ALLOC_BENCH:-$(dirname "$binary")/alloc-bench}

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
alloc=1
if [[ -x $alloc_binary ]]; then
    alloc_binary=$(realpath "$alloc_binary")
else
    echo "bench: no $alloc_binary: issue 5's allocator benchmarks are left out" >&2
    alloc=0
fi

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
build=$(cd "$repo/build" && pwd -P)
[[ $out == "$build"/* ]] || {
    echo "bench: $out is outside $build, which is all the guest can write" >&2
    exit 1
}
json=$out/results.json
alloc_host=$out/alloc-host.json
alloc_vm=$out/alloc-vm.json
alloc_vm_status=$out/alloc-vm.status
rm -f "$json" "$alloc_host" "$alloc_vm" "$alloc_vm_status" "$out/summary.md" "$out/plot.png" \
    "$out/plot-alloc.png"

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

# The provider's benchmark (issue 6) on the host too, before the VM starts.
provider_binary=${PROVIDER_BENCH:-$(dirname "$binary")/provider-bench}
preload_lib=$(dirname "$(dirname "$binary")")/libc-shim/preload/libsecretmem-preload.so
provider_status=0
provider_section=()
if [[ -x $provider_binary && -f $preload_lib ]]; then
    provider_flags=()
    if ((smoke)); then provider_flags=(--smoke); fi
    "$repo/bench/run-provider-bench.sh" "${provider_flags[@]}" "$provider_binary" "$preload_lib" \
        "$out" || provider_status=$?
    ((provider_status == 0)) || echo "bench: provider-bench failed (status $provider_status)" >&2
    [[ -s $out/provider.md ]] && provider_section=(--provider-section "$out/provider.md")
else
    echo "bench: no $provider_binary or $preload_lib: issue 6's provider benchmark is left out" >&2
fi

# The host's allocator run first, on an idle machine: no VM running.
alloc_status=0
if ((alloc)); then
    host_flags=()
    if ((smoke)); then host_flags=(--smoke); fi
    "$repo/bench/run-alloc-bench.sh" "${host_flags[@]}" "$alloc_binary" "$out" || alloc_status=$?
    ((alloc_status == 0)) || echo "bench: alloc-bench failed on the host (status $alloc_status)" >&2
fi

echo "bench: $binary ${args[*]} in the VM (TCG, $VM_SMP vCPUs, $VM_MEM, kernel $VM_KERNEL)" >&2
command=$(printf '%q ' env SECRETMEM_REQUIRE_NATIVE=1 "$binary" "${args[@]}")
if ((alloc)); then
    # After secret-bench, whose direct-map figures must be the first secret
    # memory of the boot; its own status goes to a file, so that secret-bench's
    # stays the VM run's.
    alloc_args=(--benchmark_filter='^live/' --benchmark_out="$alloc_vm"
        --benchmark_out_format=json)
    if ((smoke)); then alloc_args=(--smoke "${alloc_args[@]}"); fi
    echo "bench: then $alloc_binary ${alloc_args[*]} in the VM" >&2
    alloc_command=$(printf '%q ' env SECRETMEM_REQUIRE_NATIVE=1 "$alloc_binary" "${alloc_args[@]}")
    command="$command; status=\$?; $alloc_command; echo \$? >$(printf '%q' "$alloc_vm_status"); exit \$status"
fi
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
if ((alloc)); then
    vm_alloc_status=$(cat "$alloc_vm_status" 2>/dev/null || echo "none")
    if [[ $vm_alloc_status != 0 ]]; then
        echo "bench: alloc-bench failed in the VM (status $vm_alloc_status)" >&2
        ((alloc_status)) || alloc_status=1
    fi
    if [[ -s $alloc_host ]]; then summary+=(--alloc-host "$alloc_host"); fi
    if [[ -s $alloc_vm ]]; then summary+=(--alloc-vm "$alloc_vm"); fi
    if ((alloc_status)); then summary+=(--alloc-failed "$alloc_status"); fi
fi
if ((status)); then
    summary+=(--failed "$status")
    echo "bench: the run failed (status $status): summarizing without judging or keeping it" >&2
elif ((alloc_status)); then
    echo "bench: alloc-bench failed: summarizing without judging issue 5 or keeping the run" >&2
elif ((!smoke)); then
    summary+=(--archive "$repo/bench/results")
fi

# Debian's python3, where apt installs matplotlib (a pyenv or venv python
# first in PATH would lack it).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
"$python" "$repo/bench/summarize.py" "${summary[@]}" "${provider_section[@]}" \
    --vm "QEMU TCG (no KVM), $VM_SMP vCPUs, $VM_MEM RAM; host load average $load_before before the run, $load_after after" "$json" "$out" || {
    ((status)) || status=1
}
((status)) || status=$alloc_status
((status)) || status=$provider_status
exit "$status"
