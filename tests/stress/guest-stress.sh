#!/usr/bin/env bash
# Inside the VM on the debug kernel: the stress, then the OOM step, then the
# checks that everything came back:
#  - SecretMap: 0 kB (no secret page left in use);
#  - after a pool drain, SecretPool: 0 kB and as many chunks given back as
#    were taken (secret_chunk_alloc = secret_chunk_free in /proc/vmstat);
#  - the debugfs probe finds no free page still marked secret
#    (/sys/kernel/debug/secret_map/check_free fails with EUCLEAN if it does);
#  - on the debug kernel, page_owner and allocation profiling charge secret
#    pages to their allocation, first use and reuse (guest_attribution.py).
# vm-run.sh then fails the run on any kernel warning in dmesg.
#
#   guest-stress.sh SECRET_STRESS_PROGRAM SECONDS [--oom|--no-oom]
set -euo pipefail
program=$1
seconds=$2
oom=${3:---oom}
failed=0

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
check() { # check WHAT ACTUAL EXPECTED
    if [[ "$2" == "$3" ]]; then
        echo "  ok: $1 = $2"
    else
        echo "  FAILED: $1 = $2, expected $3"
        failed=1
    fi
}

echo "guest-stress: kernel $(uname -r), $(nproc) CPUs, MemTotal $(meminfo MemTotal) kB"
# The checks must really be on: a stress on a kernel without them proves less
# than it claims.  DEBUG_PAGEALLOC maps the direct map with 4 KiB pages only.
if [[ "${VM_KERNEL:-}" == debug ]]; then
    # One read of the log, searched as a string: `dmesg | grep -q` under
    # pipefail fails when grep exits at an early match and dmesg gets SIGPIPE.
    boot_log=$(dmesg)
    [[ "$boot_log" == *'KernelAddressSanitizer initialized'* ]] || { echo "FAILED: KASAN is not on"; failed=1; }
    [[ "$boot_log" == *'Lock dependency validator'* ]] || { echo "FAILED: lockdep is not on"; failed=1; }
    check "DirectMap2M (kB), DEBUG_PAGEALLOC" "$(meminfo DirectMap2M)" 0
fi
# After each step everything must have come back.
settled() {
    echo "guest-stress: after $1"
    # Freed secret pages are zeroed by the pool's worker within HZ/10.
    for _ in $(seq 50); do
        [[ $(meminfo SecretMap) == 0 ]] && break
        sleep 0.1
    done
    check "SecretMap (kB)" "$(meminfo SecretMap)" 0
    # The drain returns once every free chunk is back in the page allocator,
    # including those the pool's worker was giving back: no waiting here.
    echo 1 >/proc/sys/vm/secret_map_pool_drain
    local pool taken given
    pool=$(meminfo SecretPool)
    taken=$(vmstat secret_chunk_alloc)
    given=$(vmstat secret_chunk_free)
    check "SecretPool after a drain (kB)" "$pool" 0
    check "chunks given back (of $taken taken)" "$given" "$taken"
    echo "  secret_page_fallback=$(vmstat secret_page_fallback) secret_tlb_flush=$(vmstat secret_tlb_flush) secret_page_zeroed=$(vmstat secret_page_zeroed)"
    local probe=/sys/kernel/debug/secret_map/check_free
    if echo 1 >"$probe"; then
        echo "  ok: no free page carries the secret mark ($(cat "$probe"))"
    else
        echo "  FAILED: free pages still marked secret ($(cat "$probe"))"
        failed=1
    fi
}

# Nine 2 MiB allocations in ten fail, as under fragmentation: the pool
# then takes pages out of the direct map one by one (secret_page_fallback),
# and joins the large pages back when they are freed.  Quietly (verbose=0):
# a forced failure must not look like a warning.
inject=/sys/kernel/debug/fail_page_alloc
fail_chunks() {
    [[ -d $inject ]] || return 0
    echo 9 >"$inject/min-order"
    echo N >"$inject/task-filter"
    echo N >"$inject/ignore-gfp-wait"
    echo 0 >"$inject/verbose"
    echo -1 >"$inject/times"
    echo "$1" >"$inject/probability"
}

fail_chunks 90
"$program" --seconds "$seconds" || failed=1
fail_chunks 0
settled "the stress"
if [[ $oom == --oom ]]; then
    "$program" --oom || failed=1
    settled "the OOM step"
fi
if [[ "${VM_KERNEL:-}" == debug ]]; then
    echo "guest-stress: the allocation hooks on secret pages"
    python3 "$(dirname "$0")/guest_attribution.py" || failed=1
fi
oom_kills=$(dmesg | grep -c 'Killed process' || true)
echo "  dmesg: $(dmesg | wc -l) lines, $oom_kills OOM kill(s); vm-run.sh checks it for warnings"
exit "$failed"
