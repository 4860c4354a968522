#!/usr/bin/env bash
# Run one test program inside the VM booted on the patched kernel, as a meson
# test: `vm-test.sh PROGRAM [ARGS...]`.  The arguments meson adds (a gtest
# output path in the build directory) pass through: the build directory is
# writable at the same path in the guest.  Exit 77 (skip) when the kernel has
# not been built; `make check` builds it first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bzimage=$repo/build/kernel/obj/arch/x86/boot/bzImage
if [[ ! -f $bzimage ]]; then
    echo "skip: no patched kernel at $bzimage; build it with 'make kernel'" >&2
    exit 77
fi
if [[ ! -x $1 ]]; then
    echo "skip: $1 is not built" >&2
    exit 77
fi
# Meson names programs relative to its build directory, our cwd; the guest
# starts in the same directory, but an absolute path reads better in logs.
program=$(realpath "$1")
shift
command=$(printf '%q ' "$repo/tests/vm/guest-run.sh" "$program" "$@")
exec "$repo/kernel/scripts/vm-run.sh" "$command"
