#!/usr/bin/env bash
# secret_map=off on the kernel command line must turn the feature off and
# leave page_ext unallocated.  Two boots side by side: the default one is the
# control (native backend usable, page_ext allocated), so the test fails if
# the parameter stops mattering or the probe stops seeing the feature.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cli=$(realpath "$1")
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage ]]; then
    echo "skip: no patched kernel; build it with 'make kernel'" >&2
    exit 77
fi

# In the guest: the backend table line for native, and page_ext's boot line.
guest=$(printf '%q info | grep "^native"; dmesg | grep -c "bytes of page_ext" || true' "$cli")

boot() {
    VM_APPEND="$1" "$repo/kernel/scripts/vm-run.sh" "$guest"
}

on=$(boot "")
off=$(boot "secret_map=off")
printf 'default boot:\n%s\nsecret_map=off:\n%s\n' "$on" "$off"

fail=0
grep -q '^native .* yes' <<<"$on" || { echo "FAIL: native backend not usable on a default boot"; fail=1; }
[[ $(tail -n1 <<<"$on") -ge 1 ]] || { echo "FAIL: no page_ext allocated on a default boot"; fail=1; }
grep -q '^native .* NO' <<<"$off" || { echo "FAIL: native backend still usable with secret_map=off"; fail=1; }
[[ $(tail -n1 <<<"$off") -eq 0 ]] || { echo "FAIL: page_ext allocated with secret_map=off"; fail=1; }
exit $fail
