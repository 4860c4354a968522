#!/usr/bin/env bash
# Build the test kernel: build/kernel/obj/arch/x86/boot/bzImage.
#
#   kernel/scripts/build-kernel.sh
#   KERNEL_FLAVOR=stock|debug kernel/scripts/build-kernel.sh   (see lib.sh)
#
# Steps, each skipped when its inputs did not change: extract + patch the
# source (prepare-source.sh), configure (configure-kernel.sh), make bzImage.
# A first build takes 2-3 minutes on 2 cores; a no-op rebuild a few seconds.
#
# Env: KERNEL_VERBOSE=1  show kbuild's output instead of progress lines
#      KERNEL_JOBS=N     parallel jobs (default: nproc)
#      KERNEL_TARBALL, KERNEL_DISCARD_LOCAL, SECRETMEM_BUILD_DIR: see lib.sh / prepare-source.sh
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=kernel/scripts/lib.sh
. "$here/lib.sh"

need_cmd make gcc flex bison bc git tar xz flock
start=$(now)

# Two builds of the same tree at once (make check + a developer) would corrupt it.
mkdir -p "$KSTATE"
exec 9>"$KSTATE/build.lock"
if ! flock -n 9; then
	log "another build of the $KERNEL_FLAVOR kernel is running: waiting for it"
	flock 9
fi

if [[ "$KERNEL_FLAVOR" == debug ]]; then
	# The debug kernel builds the patched tree: keep the patched build from
	# rewriting it meanwhile, and bring it up to date first.
	exec 8>"$KDIR/build.lock"
	if ! flock -n 8; then
		log "a build of the patched kernel is running: waiting for it"
		flock 8
	fi
	KERNEL_FLAVOR=patched "$here/prepare-source.sh"
else
	"$here/prepare-source.sh"
fi
"$here/configure-kernel.sh"

jobs="${KERNEL_JOBS:-$(nproc)}"
log "make -j$jobs bzImage (CC=\"$KCC\"; log: $KLOGS/build.log)"

# kbuild prints one line per object: count them so a person waiting sees progress.
progress() {
	local line n=0 last=$SECONDS
	: >"$KLOGS/build.log"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$KLOGS/build.log"
		if [[ "${KERNEL_VERBOSE:-0}" == 1 ]]; then
			printf '%s\n' "$line"
			continue
		fi
		[[ "$line" == "  CC "* || "$line" == "  AS "* ]] && n=$((n + 1))
		if ((SECONDS - last >= 15)); then
			last=$SECONDS
			log "  ... $n files compiled, $(elapsed "$start") s"
		fi
	done
}

if ! "${KMAKE[@]}" -j"$jobs" bzImage 2>&1 | progress; then
	grep -E -B2 -A8 'error:|Error [0-9]|undefined reference' "$KLOGS/build.log" | tail -n 60 >&2 || true
	die "kernel build failed (full log: $KLOGS/build.log)"
fi

[[ -f "$BZIMAGE" ]] || die "make succeeded but $BZIMAGE is missing"
log "$KERNEL_FLAVOR bzImage ready: $BZIMAGE ($(cat "$KOBJ/include/config/kernel.release")), $(elapsed "$start") s"
