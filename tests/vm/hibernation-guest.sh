#!/bin/sh
# Inside the VM (hibernation.sh), run by a busybox copied to tmpfs: the host
# root over 9p does not come back from a hibernation, so nothing here may
# need it once the image is written.  /dev/vda is the swap disk.
#
#  1. A process holds secret memory: hibernation is refused and nothing is
#     written to the disk.
#  2. Secret memory freed and not yet zeroed (the pool's worker held back
#     through debugfs): hibernation goes through the real path (test_resume:
#     write the image, read it back, resume), and the secret bytes are
#     nowhere on the disk.
bb=/tmp/busybox
helper=$1
fail=0
say() { echo "$*"; }
check() {
    if [ "$1" = 0 ]; then say "ok   $2"; else say "FAIL $2"; fail=1; fi
}
meminfo() { $bb awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }
# Every byte that cannot be in a mark becomes a line break (short lines
# for grep); one pass over the disk under TCG takes a while.
marks_on_disk() { $bb tr -c 'A-Za-z0-9-' '\n' </dev/vda | $bb grep -F -e "$1" -e "$2" | $bb sort | $bb uniq -c; }
signature() { $bb dd if=/dev/vda bs=1 skip=4086 count=10 2>/dev/null; }

$bb mkswap /dev/vda >/dev/null && $bb swapon /dev/vda || { say "FAIL swap on /dev/vda"; exit 1; }
echo "$(( 0x$($bb stat -c %t /dev/vda) )):$(( 0x$($bb stat -c %T /dev/vda) ))" >/sys/power/resume
echo test_resume >/sys/power/disk
# The marks are PREFIX + the nonce reversed (see hibernation-helper.py),
# spelled out only after the image is written.
nonce=$($bb cat /proc/sys/kernel/random/uuid | $bb tr -d -)
mark() { echo "$1$(echo "$nonce" | $bb rev)"; }

# 1. Refused while secret memory is in use.
python3 "$helper" hold HELD- "$nonce" &
holder=$!
while [ "$(meminfo SecretMap)" -lt 4096 ]; do $bb sleep 0.2; done
echo disk >/sys/power/state 2>/dev/null
check $(( $? == 0 )) "hibernation refused while a process holds secret memory"
check $([ "$(signature)" = SWAPSPACE2 ]; echo $?) "nothing written: the swap signature is intact"
kill $holder
wait $holder 2>/dev/null

# 2. Freed, not zeroed.
echo 1 >/sys/kernel/debug/secret_map/hold_dirty
python3 "$helper" free FREED- "$nonce"
say "     freed and not zeroed: SecretPool $(meminfo SecretPool) kB, SecretMap $(meminfo SecretMap) kB"
$bb sync
echo disk >/sys/power/state
check $? "hibernation went through: image written, read back, resumed"
echo 0 >/sys/kernel/debug/secret_map/hold_dirty
found=$(marks_on_disk "$(mark FREED-)" "$(mark HELD-)")
[ -z "$found" ] || say "     on the disk: $found"
check $(echo "$found" | $bb grep -c FREED-) "the freed secret bytes are nowhere on the swap disk"
check $(echo "$found" | $bb grep -c HELD-) "nor the bytes that were held in the first case"
# What vm-run.sh would check in dmesg (dmesg-problems.sh's patterns, copied
# to tmpfs), which init cannot save over 9p now.
$bb dmesg | $bb grep -E -A 20 -e 'Call Trace' -f /tmp/dmesg-severe.patterns &&
    check 1 "the kernel logged no problem"
say "$fail failure(s)"
# The root over 9p did not survive the hibernation: end the run here.
echo
echo "@@SMVM-EXIT:$SMVM_NONCE:$fail@@"
# vm-run.sh stops QEMU at the sentinel (VM_STOP_AT_EXIT): a reboot would
# wait for the 9p file systems for ever.
exec $bb sleep 3600
