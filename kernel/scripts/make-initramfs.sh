#!/usr/bin/env bash
# Build build/kernel/initramfs.cpio.gz: a static busybox and vm-init.sh as /init.
#
# Rebuilt only when its inputs (busybox, vm-init.sh, this script) change. The
# archive is written with the kernel's own gen_init_cpio, so /dev/console can
# be a device node without running as root; it needs no kernel build, only the
# extracted source (prepare-source.sh).
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX="${BUSYBOX:-/bin/busybox}"
init_script="$REPO/kernel/scripts/vm-init.sh"
out="$KDIR/initramfs.cpio.gz"
gen="$KDIR/tools/gen_init_cpio"

[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found: run 'make deps' (apt-get install busybox-static)"
# The initramfs has no libc: a dynamically linked busybox (package 'busybox') cannot run there.
if LC_ALL=C ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: apt-get install busybox-static (it replaces 'busybox')"
fi
[[ -f "$KSRC/usr/gen_init_cpio.c" ]] || die "kernel source missing: run kernel/scripts/prepare-source.sh"

stamp=$(cat "$BUSYBOX" "$init_script" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -f "$out" && "$(cat "$out.stamp" 2>/dev/null)" == "$stamp" ]]; then
	exit 0
fi

log "building the initramfs (busybox + kernel/scripts/vm-init.sh)"
mkdir -p "$KDIR/tools"
if [[ ! -x "$gen" || "$KSRC/usr/gen_init_cpio.c" -nt "$gen" ]]; then
	gcc -O2 -o "$gen.$$" "$KSRC/usr/gen_init_cpio.c"
	mv "$gen.$$" "$gen"
fi

spec="$KDIR/initramfs.list.$$"
cat >"$spec" <<EOF
dir /bin 0755 0 0
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/null 0666 0 0 c 1 3
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /mnt 0755 0 0
dir /tmp 1777 0 0
file /bin/busybox $BUSYBOX 0755 0 0
slink /bin/sh busybox 0777 0 0
file /init $init_script 0755 0 0
EOF
"$gen" -t 0 "$spec" | gzip -n -9 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
rm -f "$spec"
echo "$stamp" >"$out.stamp"
