#!/usr/bin/env bash
# The cost of the series on a kernel that does not use it: the free path's
# test for secret pages stays patched out until secret memory exists, and
# failed requests for it leave it so.  Needs a fresh boot, since the first
# secret memory turns the test on for good.  The guest half is
# static-key-guest.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
exec "$repo/kernel/scripts/vm-run.sh" "python3 $repo/tests/vm/static-key-guest.py"
