#!/usr/bin/env bash
# With page-table isolation on, no direct-map entry may be global: a global
# TLB entry survives the switch to the user page tables, which is what PTI
# exists to prevent.  Secret memory changes the direct map (chunks leave and
# come back, single pages split and are joined again), so the series' own
# selftest runs first, on an Intel CPU model with pti=on; then the kernel's
# page-table dump of the direct map must show no GLB.
#
# Control: the same run without PTI, where the direct map is global, so the
# check can see the bit.  The selftest must have joined a split large page
# (its "joined again" case), or the check would prove nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
selftest=$repo/build/kernel/selftests/mm/secret_map
if [[ ! -f $repo/build/kernel/obj/arch/x86/boot/bzImage || ! -x $selftest ]]; then
    echo "skip: no patched kernel or selftest; build them with 'make kernel'" >&2
    exit 77
fi

# In the guest: PTI's state, the selftest's collapse case, and the direct-map
# lines of the page-table dump that are global.
guest=$(printf '%s; %q | grep "joined again" || true; %s' \
    'echo "meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown)"' \
    "$selftest" \
    'echo 1 >/proc/sys/vm/secret_map_pool_drain
     sed -n "/Low Kernel Mapping/,/vmalloc() Area/p" /sys/kernel/debug/page_tables/kernel >/tmp/dm
     echo "direct-map lines: $(grep -c " pte\| pmd\| pud" /tmp/dm)"
     echo "global direct-map lines: $(grep -c GLB /tmp/dm)"
     grep GLB /tmp/dm | head -20')

boot() {
    VM_CPU="$1" VM_APPEND="$2" "$repo/kernel/scripts/vm-run.sh" "$guest"
}

pti=$(boot Haswell-noTSX pti=on)
plain=$(boot max "")
printf 'Intel CPU model, pti=on:\n%s\n\ncontrol, no PTI:\n%s\n' "$pti" "$plain"

global() { sed -n 's/^global direct-map lines: //p' <<<"$1"; }
fail=0
grep -q '^meltdown: Mitigation: PTI' <<<"$pti" || { echo "FAIL: PTI is not on with pti=on"; fail=1; }
grep -q '^ok .*joined again' <<<"$pti" || { echo "FAIL: the selftest joined no split large page under PTI"; fail=1; }
[[ $(global "$pti") == 0 ]] || { echo "FAIL: $(global "$pti") global direct-map entries under PTI"; fail=1; }
[[ $(global "$plain") -gt 0 ]] || { echo "FAIL: control: no global direct-map entry without PTI, the check sees nothing"; fail=1; }
exit $fail
