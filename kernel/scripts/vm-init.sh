#!/bin/sh
# /init of the test VM's initramfs (busybox). Not run on the host.
#
# Mounts the host's root (read-only) and the project's build directory
# (writable, same path) over virtio 9p, chroots into the host's root, runs the
# command that vm-run.sh left in a run directory, saves dmesg there, prints the
# exit-status sentinel on the console and reboots, which exits QEMU (-no-reboot).
#
# Kernel command line (from vm-run.sh; unknown name=value params become init's
# environment): smvm_build=<absolute build dir>  smvm_run=<run dir under it>
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "smvm-init: ERROR: $*"
	echo "smvm-init: the command was not run; rebooting"
	reboot -f
	sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

if [ -z "$smvm_repo" ] || [ -z "$smvm_build" ] || [ -z "$smvm_run" ]; then
	fail "smvm_repo=, smvm_build= and smvm_run= missing from the kernel command line (start the VM with vm-run.sh)"
fi

# 9p: large messages for throughput. The host root is read-only and does not
# change under us during a run, so its pages may be cached (cache=loose): much
# faster exec/import. The build dir stays uncached: the host reads what we write.
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,cache=loose,ro" hostroot /mnt || fail "cannot mount the host root (9p tag hostroot)"
root=/mnt

# The usual API filesystems inside the chroot, all guest-private and writable.
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t debugfs debugfs "$root/sys/kernel/debug" 2>/dev/null
mount -t devtmpfs devtmpfs "$root/dev"
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/hugepages"
# What udev would make: bash's process substitution needs /dev/fd.
ln -sfn /proc/self/fd "$root/dev/fd"
ln -sfn /proc/self/fd/0 "$root/dev/stdin"
ln -sfn /proc/self/fd/1 "$root/dev/stdout"
ln -sfn /proc/self/fd/2 "$root/dev/stderr"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t hugetlbfs hugetlbfs "$root/dev/hugepages" 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=755 tmpfs "$root/run"

# The repository (read-only) and its build directory (writable), mounted
# after the tmpfs above: a checkout under /tmp or /run, as a CI clone may be,
# would otherwise be hidden by them.
mkdir -p "$root$smvm_repo" "$root$smvm_build" 2>/dev/null
mount -t 9p -o "$opts,cache=loose,ro" hostrepo "$root$smvm_repo" ||
	fail "cannot mount the repository $smvm_repo (9p tag hostrepo)"
mount -t 9p -o "$opts" hostbuild "$root$smvm_build" ||
	fail "cannot mount the build directory $smvm_build (9p tag hostbuild)"

run="$root$smvm_build/$smvm_run"
[ -f "$run/vm.env" ] || fail "$run/vm.env missing"
# shellcheck disable=SC1091  # written by vm-run.sh
. "$run/vm.env" # SMVM_NONCE

echo "@@SMVM-START:$SMVM_NONCE@@"
chroot "$root" /bin/bash "$smvm_build/$smvm_run/run.sh" </dev/null
status=$?

dmesg >"$run/dmesg.txt"
sync
# A newline first: the sentinel must start a line even if the output did not end with one.
echo
echo "@@SMVM-EXIT:$SMVM_NONCE:$status@@"
reboot -f
sleep 30
