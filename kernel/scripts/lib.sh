# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts
# Common paths and helpers for the kernel scripts. Sourced, never run.
#
# Three kernels can be built side by side (KERNEL_FLAVOR):
#   patched (default)  pristine tarball + kernel/patches/series
#   stock              the tarball as it is: the baseline for regression runs
#                      and the memfd_secret backend
#   debug              the patched tree again, with kernel/config/debug.config
#                      on top (KASAN, lockdep, DEBUG_PAGEALLOC...): for the
#                      stress run (tests/stress)
#
# Everything generated lives under $KDIR (build/kernel/ by default), which is
# git-ignored by the repository:
#   src/        the patched kernel tree, a plain directory
#   src.git/    git dir of that tree, kept OUTSIDE it so that kbuild's
#               setlocalversion does not append "+"/"-dirty" to uname -r
#   obj/        kbuild output (O=), .config, arch/x86/boot/bzImage
#   stock/src/, stock/obj/   the same for the stock kernel (no git)
#   debug/obj/  kbuild output of the debug kernel (its source is src/)
#   selftests/  mm selftests binaries (from the patched tree)
#   initramfs.cpio.gz, vm/ (per-run directories), logs/

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
BUILD_DIR="${SECRETMEM_BUILD_DIR:-$REPO/build}"
KDIR="$BUILD_DIR/kernel"
KGITDIR="$KDIR/src.git"
KERNEL_FLAVOR="${KERNEL_FLAVOR:-patched}"
case "$KERNEL_FLAVOR" in
# src and obj are siblings in both flavors: with CCACHE_BASEDIR=$KDIR the
# compiler sees the same relative paths, so unchanged files hit the cache
# across the two trees.
patched) KSTATE="$KDIR" ;;
stock) KSTATE="$KDIR/stock" ;;
debug) KSTATE="$KDIR/debug" ;;
*)
	printf '[kernel] ERROR: KERNEL_FLAVOR must be patched, stock or debug, not %s\n' "$KERNEL_FLAVOR" >&2
	exit 1
	;;
esac
KSRC="$KSTATE/src"
# The debug kernel is the patched tree built again: it has no tree of its own.
# What the tree was prepared from (prepare-source.sh writes it).
KSERIES_STAMP="$KSTATE/series.stamp"
if [[ "$KERNEL_FLAVOR" == debug ]]; then
	KSRC="$KDIR/src"
	KSERIES_STAMP="$KDIR/series.stamp"
fi
KOBJ="$KSTATE/obj"
KLOGS="$KSTATE/logs"
KERNEL_TARBALL="${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}"
PATCH_DIR="$REPO/kernel/patches"
SERIES_FILE="$PATCH_DIR/series"
CONFIG_FRAGMENT="$REPO/kernel/config/secretmem.config"
# Merged after CONFIG_FRAGMENT, so its choices win.
DEBUG_CONFIG_FRAGMENT="$REPO/kernel/config/debug.config"
CONFIG_FRAGMENTS=("$CONFIG_FRAGMENT")
[[ "$KERNEL_FLAVOR" == debug ]] && CONFIG_FRAGMENTS+=("$DEBUG_CONFIG_FRAGMENT")
BZIMAGE="$KOBJ/arch/x86/boot/bzImage"

# ccache makes a rebuild after a fresh clone (or a config flip) cheap; without
# it the build still works, just slower.
if command -v ccache >/dev/null 2>&1; then
	KCC="ccache gcc"
	export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$KDIR}"
else
	KCC="gcc"
fi
# The same CC must be passed on every make call: kbuild records it in .config
# and re-syncs the configuration when it changes.
# LOCALVERSION: uname -r tells the kernels apart (6.12.117 vs 6.12.117-stock);
# set even when empty, so kbuild never appends "+" for a git tree.
KLOCALVERSION=""
[[ "$KERNEL_FLAVOR" == patched ]] || KLOCALVERSION="-$KERNEL_FLAVOR"
KMAKE=(make -C "$KSRC" O="$KOBJ" CC="$KCC" HOSTCC="$KCC" LOCALVERSION="$KLOCALVERSION")

log() { printf '[kernel] %s\n' "$*" >&2; }
warn() { printf '[kernel] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[kernel] ERROR: %s\n' "$*" >&2
	exit 1
}

# git on the kernel tree, with its git dir outside the tree (see above).
kgit() { git --git-dir="$KGITDIR" --work-tree="$KSRC" -c core.quotepath=off "$@"; }

# Seconds since the epoch, with decimals, for timings printed to the user.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# bzImage of a flavor (patched|stock|debug), whatever KERNEL_FLAVOR is: for vm-run.sh.
bzimage_of() {
	case $1 in
	stock | debug) echo "$KDIR/$1/obj/arch/x86/boot/bzImage" ;;
	*) echo "$KDIR/obj/arch/x86/boot/bzImage" ;;
	esac
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found: run 'make deps' (or apt-get install the package providing it)"
	done
}
