#!/usr/bin/env bash
# Inside the VM (memory-offline.sh): try to offline every online memory
# block, first while a process holds 1 GiB of secret memory, then once it
# has exited and the pool keeps free chunks.  Every attempt must end: with
# the block offline (then it is onlined again) or refused; one still
# running after OFFLINE_TIMEOUT seconds is a hang.
set -uo pipefail
timeout_s=${OFFLINE_TIMEOUT:-30}
hangs=0

meminfo() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

offline_all() {
    local label=$1 offlined=0 refused=0 b
    for b in /sys/devices/system/memory/memory*; do
        [[ $(cat "$b/state") == online ]] || continue
        timeout "$timeout_s" sh -c "echo offline > $b/state" 2>/dev/null
        case $? in
        0)
            offlined=$((offlined + 1))
            echo online >"$b/state" || echo "could not online ${b##*/} again"
            ;;
        124)
            echo "HANG: offlining ${b##*/} ran for ${timeout_s} s ($label)"
            hangs=$((hangs + 1))
            ;;
        *) refused=$((refused + 1)) ;;
        esac
    done
    echo "$label: $offlined blocks offlined and onlined again, $refused refused"
}

# 1. Secret pages in use: a block holding them must be refused, at once.
python3 - <<'PY' &
import mmap, sys, time
size = 1 << 30
m = mmap.mmap(-1, size, flags=0x0a)  # MAP_SECRET | MAP_ANONYMOUS
for off in range(0, size, 4096):
    m[off] = 1
print("holding", flush=True)
sys.stdout.close()
time.sleep(3600)
PY
holder=$!
for _ in $(seq 600); do
    (($(meminfo SecretMap) >= 1000000)) && break
    sleep 0.5
done
echo "SecretMap: $(meminfo SecretMap) kB, SecretPool: $(meminfo SecretPool) kB"
offline_all "secret memory in use"
kill "$holder"
wait "$holder" 2>/dev/null

# 2. The holder gone, the pool keeps free chunks out of the direct map.
sleep 1
echo "SecretMap: $(meminfo SecretMap) kB, SecretPool: $(meminfo SecretPool) kB"
offline_all "free chunks in the pool"
echo "SecretMap: $(meminfo SecretMap) kB, SecretPool: $(meminfo SecretPool) kB"

echo "hangs: $hangs"
((hangs == 0))
