#!/usr/bin/env bash
# Memory hotplug meets secret memory: offlining a memory block that holds
# secret pages in use must fail at once (they never migrate), and one that
# holds free chunks of the pool must succeed (the pool gives them back);
# neither may retry for ever.  The guest half is memory-offline-guest.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
VM_EXPECT_OFFLINE=1 VM_TIMEOUT=${VM_TIMEOUT:-1500} exec "$repo/kernel/scripts/vm-run.sh" \
    "$repo/tests/vm/memory-offline-guest.sh"
