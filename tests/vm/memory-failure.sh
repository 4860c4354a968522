#!/usr/bin/env bash
# Poison injected into secret memory (CONFIG_MEMORY_FAILURE): into a page in
# use, whose owner must die of SIGBUS without pinning the page's 2 MiB
# chunk, and into a free page of the pool, which must never be handed out
# again.  No kernel crash, no warning.  The guest half is
# memory-failure-guest.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
exec "$repo/kernel/scripts/vm-run.sh" "python3 $repo/tests/vm/memory-failure-guest.py"
