#!/usr/bin/env bash
# The kernel stress, from the host: boots the VM on the debug kernel and runs
# guest-stress.sh there.  `run-stress.sh PROGRAM SECONDS [--no-oom]` (a meson
# test, and `make stress`); --no-oom leaves the OOM step out.  Exit 77 (skip) when the debug kernel has not been built;
# `make check` and `make stress` build it first.
#
# The VM fails the run on any WARN, BUG, oops, KASAN or lockdep report in
# dmesg (kernel/scripts/vm-run.sh); the OOM killer's report, which the OOM
# step provokes on purpose, is the one stack trace allowed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bzimage=$repo/build/kernel/debug/obj/arch/x86/boot/bzImage
if [[ ! -f $bzimage ]]; then
    echo "skip: no debug kernel at $bzimage; build it with 'KERNEL_FLAVOR=debug kernel/scripts/build-kernel.sh'" >&2
    exit 77
fi
(($# == 2 || $# == 3)) || {
    echo "usage: $0 SECRET_STRESS_PROGRAM SECONDS [--no-oom]" >&2
    exit 2
}
program=$(realpath "$1")
seconds=$2
oom=${3:---oom}
[[ $oom == --oom || $oom == --no-oom ]] || {
    echo "run-stress.sh: the third argument may only be --no-oom, not '$oom'" >&2
    exit 2
}
[[ $seconds =~ ^[0-9]+$ ]] || {
    echo "run-stress.sh: SECONDS must be a number, not '$seconds'" >&2
    exit 2
}
command=$(printf '%q ' "$repo/tests/stress/guest-stress.sh" "$program" "$seconds" "$oom")
# Boot, KASAN's slowness under TCG and the OOM step on top of the stress time.
export VM_KERNEL=debug VM_EXPECT_OOM=1 VM_TIMEOUT=$((seconds * 3 + 600))
# acpi=noirq: PCI interrupts from the BIOS's PIRQ table, not ACPI's _PRT.
# Under KASAN and TCG on a loaded host, evaluating _PRT ran past ACPICA's
# 30-second loop limit (AE_AML_LOOP_TIMEOUT) for every device, and boot
# took minutes longer.
# page_owner=on: the debug kernel has page_owner built in, off until asked.
export VM_APPEND="${VM_APPEND:-} acpi=noirq page_owner=on"
exec "$repo/kernel/scripts/vm-run.sh" "$command"
