#!/usr/bin/env bash
# Secret memory on two NUMA nodes (numa=fake=2) and inside a memory cgroup:
# it works bound to each node, and a cgroup's memory.max holds for it (the
# 256 MiB child is OOM-killed inside its cgroup, on purpose).  The
# guest half is numa-memcg-guest.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
VM_EXPECT_OOM=1 VM_APPEND="numa=fake=2" exec "$repo/kernel/scripts/vm-run.sh" \
    "python3 $repo/tests/vm/numa-memcg-guest.py"
