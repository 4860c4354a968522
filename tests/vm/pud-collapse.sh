#!/usr/bin/env bash
# The 1 GiB level of the direct-map collapse: with 4 GiB of memory the
# guest's direct map uses 1 GiB pages (the CPU model has pdpe1gb); chunks
# taken from them split them, and they must be whole again once the chunks
# are back.  The guest half is pud-collapse-guest.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
VM_MEM=4G exec "$repo/kernel/scripts/vm-run.sh" "$repo/tests/vm/pud-collapse-guest.sh"
