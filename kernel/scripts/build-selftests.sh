#!/usr/bin/env bash
# Build the kernel's mm selftests (tools/testing/selftests/mm of the patched
# tree, so the series' own kselftest is included) into build/kernel/selftests/mm.
#
#   kernel/scripts/build-selftests.sh
#
# Built against the patched tree's uapi headers (make headers), so tests see
# the series' new constants. Tests whose libraries are missing are skipped by
# make -k and listed; libcap-dev, libnuma-dev and liburing-dev cover the useful ones.
# Needs a configured tree: run build-kernel.sh first.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$KOBJ/.config" ]] || die "kernel not configured: run kernel/scripts/build-kernel.sh first"
need_cmd make gcc
out="$KDIR/selftests/mm"
srcdir="$KSRC/tools/testing/selftests/mm"
mkdir -p "$out" "$KLOGS"

log "installing uapi headers into $KOBJ/usr/include"
"${KMAKE[@]}" -s headers >"$KLOGS/headers.log" 2>&1 || {
	tail -n 20 "$KLOGS/headers.log" >&2
	die "make headers failed (log: $KLOGS/headers.log)"
}

log "building mm selftests into $out (log: $KLOGS/selftests.log)"
set +e
make -C "$srcdir" -k -j"${KERNEL_JOBS:-$(nproc)}" OUTPUT="$out" \
	KHDR_INCLUDES="-isystem $KOBJ/usr/include" >"$KLOGS/selftests.log" 2>&1
rc=$?
set -e

# run_vmtests.sh and its helper scripts expect to sit beside the binaries.
cp "$srcdir"/*.sh "$out"/

# What make wanted to build (TEST_GEN_FILES/PROGS), and which of those exist.
mapfile -t wanted < <(make -s -C "$srcdir" OUTPUT="$out" -pn 2>/dev/null |
	sed -n 's/^TEST_GEN_\(FILES\|PROGS\) := //p' | tr ' ' '\n' | sed -n "s|^$out/||p" | sort -u)
built=() failed=()
for t in "${wanted[@]}"; do
	if [[ -x "$out/$t" ]]; then built+=("$t"); else failed+=("$t"); fi
done
log "built ${#built[@]} mm selftests: ${built[*]}"
if ((${#failed[@]})); then
	warn "${#failed[@]} did not build (see $KLOGS/selftests.log): ${failed[*]}"
fi
for t in memfd_secret mlock2-tests mremap_test cow; do
	[[ -x "$out/$t" ]] || die "required selftest '$t' did not build (make exit $rc; log: $KLOGS/selftests.log)"
done
