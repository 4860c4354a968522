#!/usr/bin/env bash
# Inside the VM: prepare what the tests need from the machine, then run them.
#  - SECRETMEM_REQUIRE_NATIVE=1: the patched kernel must provide MAP_SECRET,
#    so a skipped native case is a failure here;
#  - a core_pattern that writes core files into the cwd, for the core-dump
#    attack;
#  - an ext2 file system on the scratch disk, for the O_DIRECT attacks (tmpfs
#    and 9p do not pin user buffers for O_DIRECT; a block device does);
#  - the loopback interface up, for the TLS servers and clients.
set -euo pipefail
export SECRETMEM_REQUIRE_NATIVE=1
ip link set lo up
echo core >/proc/sys/kernel/core_pattern
scratch=/tmp/scratch
if [[ -b /dev/vda ]] && ! mountpoint -q "$scratch"; then
    mkdir -p "$scratch"
    mkfs.ext2 -q -F /dev/vda
    mount -t ext2 /dev/vda "$scratch"
fi
if mountpoint -q "$scratch"; then
    export SECRETMEM_ATTACK_DIR=$scratch
fi
exec "$@"
