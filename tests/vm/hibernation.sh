#!/usr/bin/env bash
# Hibernation through the real path (test_resume to a swap disk, the image
# uncompressed so that its bytes can be searched): refused while secret
# memory is in use, with nothing written; allowed once it is freed, and then
# the freed secrets, not yet zeroed when hibernation starts, are not in the
# image.  The guest half is hibernation-guest.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi
guest=$(printf 'cp /bin/busybox %q %q /tmp/ && exec /tmp/busybox sh /tmp/hibernation-guest.sh %q' \
    "$repo/tests/vm/hibernation-guest.sh" "$repo/kernel/scripts/dmesg-severe.patterns" \
    "$repo/tests/vm/hibernation-helper.py")
VM_STOP_AT_EXIT=1 VM_DISK_MB=256 VM_APPEND="hibernate=nocompress no_console_suspend" VM_TIMEOUT=${VM_TIMEOUT:-600} \
    exec "$repo/kernel/scripts/vm-run.sh" "$guest"
