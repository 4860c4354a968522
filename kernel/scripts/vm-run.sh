#!/usr/bin/env bash
# Run one shell command as root in a QEMU VM booted on the test kernel.
#
#   kernel/scripts/vm-run.sh 'shell command'
#
# The guest sees the host's root read-only (9p), chroots into it, and sees the
# project's build directory writable at the same path. The command runs under
# bash with cwd = the host's cwd if that is inside the repository (else the
# repository root), PATH=standard dirs, HOME=/tmp (a tmpfs), stdin /dev/null;
# its output streams here live. A scratch disk is /dev/vda (for O_DIRECT).
# VM_KERNEL (patched, stock, debug or a path) is set in the guest too.
#
# Exit status: the command's own; 1 if it exited 0 but the kernel logged a
# warning (WARN/BUG/Oops/...) during the run; 124 if the VM timed out; 125 if
# the VM failed (kernel panic, init failure, QEMU error, no status reported).
#
# Env:
#   VM_TIMEOUT=600     seconds before the VM is killed
#   VM_MEM=2G VM_SMP=2 VM_CPU=max   guest memory, vCPUs, QEMU CPU model (TCG)
#   VM_APPEND=...      extra kernel command line (e.g. 'loglevel=7')
#   VM_DISK_MB=256     size of the scratch disk /dev/vda (0: none)
#   VM_ENV='A B'       more host variables to pass in (SECRETMEM_* and GTEST_* always are)
#   VM_ALLOW_KERNEL_WARNINGS=1   report kernel warnings but do not fail on them
#   VM_EXPECT_OOM=1    the command provokes the OOM killer: its reports are no warning
#   VM_EXPECT_OFFLINE=1  the command offlines memory: the pages it dumps are no warning
#   VM_STOP_AT_EXIT=1  stop QEMU as soon as the exit sentinel is seen (the guest may not reboot)
#   VM_KEEP=1          keep the run directory (console log, dmesg) even on success
#   VM_KERNEL=patched  which kernel: patched (default), stock, debug, or a bzImage path
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=kernel/scripts/lib.sh
. "$here/lib.sh"

vmlog() { printf '[vm] %s\n' "$*" >&2; }

(($# == 1)) || die "usage: $0 'shell command'"
cmd=$1
VM_TIMEOUT="${VM_TIMEOUT:-600}"
VM_MEM="${VM_MEM:-2G}"
VM_SMP="${VM_SMP:-2}"
VM_CPU="${VM_CPU:-max}"
VM_APPEND="${VM_APPEND:-}"
VM_DISK_MB="${VM_DISK_MB:-256}"
case "${VM_KERNEL:=patched}" in
patched | stock | debug) kernel=$(bzimage_of "$VM_KERNEL") ;;
*) kernel=$VM_KERNEL ;;
esac

need_cmd qemu-system-x86_64 timeout truncate
[[ -f "$kernel" ]] || die "no kernel at $kernel: build it first with 'make kernel' (KERNEL_FLAVOR=$VM_KERNEL kernel/scripts/build-kernel.sh)"
"$here/make-initramfs.sh"

mkdir -p "$BUILD_DIR"
build=$(cd "$BUILD_DIR" && pwd -P)
# These paths go on the kernel command line and in -virtfs options.
[[ "$build" =~ ^[A-Za-z0-9_./+-]+$ && "$REPO" =~ ^[A-Za-z0-9_./+-]+$ ]] ||
	die "'$REPO' or '$build' has characters the VM cannot pass through (space, comma...): use a plainer path"

mkdir -p "$KDIR/vm"
run=$(mktemp -d "$KDIR/vm/run.XXXXXX")
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
echo "SMVM_NONCE=$nonce" >"$run/vm.env"

# The command's environment, as a script the guest's bash runs in the chroot.
cwd=$(pwd -P)
[[ "$cwd/" == "$REPO/"* ]] || cwd=$REPO
{
	echo '# written by kernel/scripts/vm-run.sh, run by the guest'
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/tmp TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash USER=root LOGNAME=root'
	printf 'export VM_KERNEL=%q\n' "$VM_KERNEL" # which kernel this is: patched, stock, debug or a path
	# A command that takes the 9p root away (hibernation) ends the run itself:
	# it prints the exit sentinel and reboots, without init.
	printf 'export SMVM_NONCE=%q\n' "$nonce"
	for name in $(compgen -e); do
		if [[ "$name" == SECRETMEM_* || "$name" == GTEST_* || " ${VM_ENV:-} " == *" $name "* ]]; then
			printf 'export %s=%q\n' "$name" "${!name}"
		fi
	done
	printf 'cd %q || exit 125\n' "$cwd"
	printf 'exec /bin/bash -c %q\n' "$cmd"
} >"$run/run.sh"

# shellcheck disable=SC2054  # commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 -nodefaults -no-user-config
	-accel tcg,thread=multi -cpu "$VM_CPU" -m "$VM_MEM" -smp "$VM_SMP"
	-display none -serial stdio -no-reboot -pidfile "$run/qemu.pid"
	-kernel "$kernel" -initrd "$KDIR/initramfs.cpio.gz"
	-append "console=ttyS0 panic=-1 reboot=t quiet no_timer_check smvm_repo=$REPO smvm_build=$build smvm_run=${run#"$BUILD_DIR"/} $VM_APPEND"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$REPO,mount_tag=hostrepo,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$build,mount_tag=hostbuild,security_model=none,multidevs=remap")
if ((VM_DISK_MB > 0)); then
	truncate -s "${VM_DISK_MB}M" "$run/scratch.img"
	qemu+=(-drive "file=$run/scratch.img,format=raw,if=virtio")
fi

cleanup() {
	local pid
	pid=$(cat "$run/qemu.pid" 2>/dev/null || true)
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
	rm -f "$run/scratch.img"
}
trap cleanup EXIT

# Console filter: shows the guest's console live, minus the harness's own
# marker lines, and records what it saw in files (it runs in a subshell).
console() {
	local line blank=0 status done=0
	while IFS= read -r line || [[ -n "$line" ]]; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$run/console.log"
		# After the sentinel only the kernel's "reboot: Restarting system" follows.
		((done)) && continue
		case "$line" in
		*"@@SMVM-START:$nonce@@"*)
			now >"$run/started"
			continue
			;;
		*"@@SMVM-EXIT:$nonce:"*)
			status=${line##*"@@SMVM-EXIT:$nonce:"}
			echo "${status%%@@*}" >"$run/status"
			now >"$run/ended"
			done=1
			# A guest that lost its root (hibernation) cannot reboot cleanly.
			[[ "${VM_STOP_AT_EXIT:-0}" == 1 ]] && kill "$(cat "$run/qemu.pid")" 2>/dev/null
			blank=0 # the guest's newline before the sentinel is not output
			continue
			;;
		esac
		# Hold back a blank line: it may be the one the guest prints before the sentinel.
		if ((blank)); then
			printf '\n'
			blank=0
		fi
		if [[ -z "$line" ]]; then
			blank=1
			continue
		fi
		printf '%s\n' "$line"
		case "$line" in
		*"Kernel panic - not syncing"*) echo "$line" >>"$run/panic" ;;
		# Without ACPI, poweroff only halts the CPUs: stop QEMU ourselves.
		*"reboot: Power down"* | *"reboot: System halted"*)
			echo "$line" >>"$run/halted"
			kill "$(cat "$run/qemu.pid")" 2>/dev/null || true
			;;
		esac
	done
}

t0=$(now)
set +e
# --foreground: Ctrl-C reaches QEMU too; stdin is not the terminal, so it stays sane.
timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | console
qemu_rc=${PIPESTATUS[0]}
set -e

if [[ -f "$run/started" ]]; then
	boot=$(awk -v a="$t0" -v b="$(cat "$run/started")" 'BEGIN { printf "%.1f", b - a }')
fi

if [[ ! -f "$run/status" ]]; then
	if [[ -f "$run/panic" ]]; then
		vmlog "KERNEL PANIC in the guest: $(head -n 1 "$run/panic")"
	elif ((qemu_rc == 124 || qemu_rc == 137)); then
		vmlog "TIMEOUT: the VM was killed after ${VM_TIMEOUT} s ($([[ -f "$run/started" ]] &&
			echo "the command was still running" || echo "the command never started")); raise VM_TIMEOUT if it needs longer"
		vmlog "console log kept in $run/console.log"
		exit 124
	elif [[ -f "$run/halted" ]]; then
		vmlog "the guest powered off before the command finished"
	elif ((qemu_rc != 0)); then
		vmlog "QEMU failed with status $qemu_rc (see its message above)"
	else
		vmlog "the guest stopped without reporting an exit status (rebooted? init failed?)"
	fi
	vmlog "console log kept in $run/console.log"
	exit 125
fi

status=$(cat "$run/status")
took=$(awk -v a="$(cat "$run/started")" -v b="$(cat "$run/ended")" 'BEGIN { printf "%.1f", b - a }')
vmlog "boot to command ${boot:-?} s, command ${took} s, exit status $status"

# Kernel problems during the run fail it, even if the command itself passed.
dmesg_check=("$here/dmesg-problems.sh")
[[ "${VM_EXPECT_OOM:-0}" == 1 ]] && dmesg_check+=(--allow-oom)
[[ "${VM_EXPECT_OFFLINE:-0}" == 1 ]] && dmesg_check+=(--allow-offline)
if [[ -f "$run/dmesg.txt" ]] && problems=$("${dmesg_check[@]}" "$run/dmesg.txt"); then
	vmlog "the kernel logged problems during the run (full log: $run/dmesg.txt):"
	head -n 200 <<<"$problems" | sed 's/^/    /' >&2
	if [[ "${VM_ALLOW_KERNEL_WARNINGS:-0}" == 1 ]]; then
		vmlog "VM_ALLOW_KERNEL_WARNINGS=1: not failing the run for them"
	else
		trap - EXIT
		cleanup
		((status != 0)) || status=1
		exit "$status"
	fi
fi

cp "$run/console.log" "$KDIR/vm/last-console.log"
cp "$run/dmesg.txt" "$KDIR/vm/last-dmesg.txt" 2>/dev/null || true
if [[ "${VM_KEEP:-0}" != 1 ]]; then
	rm -rf "$run"
	trap - EXIT
fi
exit "$status"
