#!/usr/bin/env bash
# Build every patch of the series on its own, as a bisection would, in three
# configurations, and fail on any error or compiler warning:
#   test   the VM's config (tinyconfig + kernel/config/secretmem.config): bzImage
#   off    the same with CONFIG_SECRET_MAP=n: bzImage
#   wide   test + NUMA, memcg, swap, THP, migration, memory hotplug, HMM and
#          device-private memory, which the series also touches: the
#          directories it changes (mm/, kernel/, fs/proc/, arch/x86/mm/)
# Slow (about an hour on 2 cores with a cold ccache), so not part of
# `make check`: run `make kernel-each-patch` after changing the series.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$KOBJ/.config" ]] || die "no configured kernel at $KOBJ: run 'make kernel' first"
each="$KDIR/each"
tree="$each/src"
mapfile -t commits < <(kgit rev-list --reverse pristine..HEAD)
[[ ${#commits[@]} -gt 0 ]] || die "the series is empty"

if [[ ! -d "$tree" ]]; then
	log "checking the series out into $tree (once)"
	kgit worktree add -q -f --detach "$tree" "${commits[0]}"
fi
wtgit() { git -C "$tree" -c core.quotepath=off "$@"; }

configure() {
	local cfg=$1 obj="$each/obj-$1"
	mkdir -p "$obj"
	cp "$KOBJ/.config" "$obj/.config"
	case $cfg in
	off) "$KSRC/scripts/config" --file "$obj/.config" -d SECRET_MAP -d DEBUG_SECRET_MAP ;;
	wide)
		"$KSRC/scripts/config" --file "$obj/.config" \
			-e SMP -e NUMA -e X86_64_ACPI_NUMA -e NUMA_BALANCING -e MIGRATION \
			-e COMPACTION -e TRANSPARENT_HUGEPAGE -e KSM -e USERFAULTFD -e SWAP \
			-e CGROUPS -e MEMCG -e MEMORY_HOTPLUG -e MEMORY_HOTREMOVE \
			-e SPARSEMEM_VMEMMAP -e ZONE_DEVICE -e DEVICE_PRIVATE -e HMM_MIRROR \
			-e MEMORY_FAILURE -e HIBERNATION -e SECRET_MAP -e DEBUG_SECRET_MAP
		;;
	esac
}

status=0
for cfg in test off wide; do
	configure "$cfg"
done
for commit in "${commits[@]}"; do
	wtgit checkout -q --detach "$commit"
	subject=$(wtgit log -1 --format=%s "$commit")
	for cfg in test off wide; do
		obj="$each/obj-$cfg"
		targets=(bzImage)
		[[ $cfg == wide ]] && targets=(mm/ kernel/ fs/proc/ arch/x86/mm/)
		logf="$each/$(wtgit log -1 --format=%h "$commit")-$cfg.log"
		ok=yes
		make -C "$tree" O="$obj" CC="$KCC" HOSTCC="$KCC" olddefconfig >"$logf" 2>&1 &&
			make -C "$tree" O="$obj" CC="$KCC" HOSTCC="$KCC" -j"$(nproc)" "${targets[@]}" >>"$logf" 2>&1 ||
			ok=no
		warnings=$(grep -cE '(warning|error):' "$logf" || true)
		[[ $ok == yes && $warnings == 0 ]] || status=1
		printf '%-60.60s %-5s build %-3s warnings %s\n' "$subject" "$cfg" "$ok" "$warnings"
	done
done
exit $status
