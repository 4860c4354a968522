#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo inside the VM, on the patched kernel (scripts/demo.sh boots it):
#
#   scripts/demo/guest.sh MESON_BUILD_DIR OUT_DIR KEY_HEX
#
# OUT_DIR holds the server's Ed25519 key (server.key) and certificate
# (server.crt), which demo.sh made on the host, where openssl runs several
# times faster than under TCG; KEY_HEX is the key's 32 private bytes, which
# the attacker looks for.
#
#  1. openssl s_server with an Ed25519 key loaded through the secretmem
#     provider (secretmem:KEY under libsecretmem-preload.so), s_client
#     completing a TLS handshake with it, the backend the provider reports
#     and the server's secret mappings from /proc/PID/smaps; beside it the
#     same server without secretmem, the control;
#  2. secretmem-attack --pid on both running servers (ptrace,
#     /proc/PID/mem, process_vm_readv, the debugfs direct-map probe, a core
#     dump): its table;
#  3. nginx, as it runs in production: a master and 2 workers forked from
#     it, switched over with the preload and secretmem.cnf; HTTPS requests
#     reach both workers, then the attacker reads every process of it (and
#     of the same nginx without secretmem) through /proc/PID/mem;
#  4. secret-bench, MAP_SECRET and memfd_secret only, its JSON left in
#     OUT_DIR for scripts/demo/bench_table.py on the host.
#
# OUT_DIR (inside the build directory, which the guest can write) also
# receives the tools' logs and results.txt (key=value lines) for the
# summary.  Exit status 1 if any step failed or any attack got anything.
set -euo pipefail
build=$1
out=$2
key_hex=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

preload=$build/libc-shim/preload/libsecretmem-preload.so
modules=$build/integrations/openssl/provider
attacker=$build/tests/attack/secretmem-attack
memscan=$build/tests/preload/secretmem-memscan
bench=$build/bench/secret-bench
python=/usr/bin/python3
[[ -x $python ]] || python=python3
work=/tmp/secretmem-demo
key=$work/server.key
cert=$work/server.crt
results=$out/results.txt
failures=0

section() { printf '\n== %s\n\n' "$*"; }
say() { printf '  %s\n' "$*"; }
failed() {
    printf '  FAILED: %s\n' "$*"
    echo "failure=$*" >>"$results"
    failures=$((failures + 1))
}
result() { echo "$1=$2" >>"$results"; }
# When each step ended, for a look at where a slow run spent its time.
mark() { echo "$(date +%s.%N) $*" >>"$out/steps.log"; }

server_pids=()
nginx_sessions=()
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${nginx_sessions[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# Until LOG has a line matching PATTERN; false if PID ends first or after
# 120 s (openssl starts slowly under TCG).
wait_for() {
    local log=$1 pattern=$2 pid=$3 tries
    for ((tries = 0; tries < 1200; tries++)); do
        grep -q "$pattern" "$log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Until PID sleeps in select, poll or accept, waiting for the next client:
# where a server spends its life, its handshake's temporaries gone.
wait_idle() {
    local pid=$1 tries syscall
    for ((tries = 0; tries < 600; tries++)); do
        read -r syscall _ <"/proc/$pid/syscall" 2>/dev/null || return 1
        case $syscall in
        7 | 23 | 43 | 232 | 270 | 271 | 281 | 288) return 0 ;; # poll select accept epoll_wait pselect6 ppoll epoll_pwait accept4
        esac
        sleep 0.1
    done
    return 1
}

# Starts openssl s_server in its own directory (where its core file will
# go); its PID in $server_pid.  Not this shell's child: bash would report its
# death by the attacker's SIGABRT in the middle of the table.
start_server() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$work/$name"
    (
        (cd "$work/$name" && exec "$@" -cert "$cert" -accept "127.0.0.1:$port" -www \
            >"$out/server-$name.log" 2>&1) &
        echo $! >"$work/$name.pid"
    )
    server_pid=$(cat "$work/$name.pid")
    server_pids+=("$server_pid")
}

# Until server NAME (PID) listens.
listening() {
    wait_for "$out/server-$1.log" '^ACCEPT' "$2" && return 0
    failed "s_server ($1) did not start: see $out/server-$1.log"
    return 1
}

# One s_client handshake and request; what was negotiated in $tls_version,
# $tls_cipher and $tls_signature (the server's signature algorithm).
handshake() {
    local name=$1 port=$2 log=$out/client-$1.log negotiated
    tls_version='' tls_cipher='' tls_signature=''
    printf 'GET / HTTP/1.0\r\n\r\n' |
        openssl s_client -connect "127.0.0.1:$port" -CAfile "$cert" \
            -verify_return_error -servername localhost >"$log" 2>&1 || {
        failed "s_client could not complete a handshake with the $name server: see $log"
        return 1
    }
    grep -q 'Verify return code: 0 (ok)' "$log" || {
        failed "the $name server's certificate did not verify: see $log"
        return 1
    }
    negotiated=$(grep -m1 -oE '^New, TLSv1\.[0-9], Cipher is [A-Z0-9_]+' "$log" || true)
    read -r _ tls_version _ _ tls_cipher <<<"${negotiated//,/}"
    tls_signature=$(grep -m1 -oE 'Peer signature type: [A-Za-z0-9_-]+' "$log" | sed 's/.*: //')
    [[ -n $tls_version && -n $tls_cipher && -n $tls_signature ]] || {
        failed "s_client's log does not say what was negotiated: see $log"
        return 1
    }
}

# The mappings of PID the kernel marks secret: VM_SECRET ("sc" in VmFlags)
# or a memfd_secret file.
secret_mappings() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { range = $1; perms = $2; name = $6 }
        /^Size:/ { size = $2 }
        /^VmFlags:/ {
            flags = $0; sub(/^VmFlags: */, "", flags); sub(/ *$/, "", flags)
            if (flags ~ /(^| )sc( |$)/ || name ~ /^\/secretmem/)
                printf "%s %s %5d KiB  VmFlags: %s\n", range, perms, size, flags
        }' "/proc/$1/smaps"
}

mkdir -p "$out" "$work"
# Onto tmpfs: the 9p build directory reads with zero-copy into the
# reader's pages, which the kernel refuses to pin when they are secret
# (the provider reads the key file straight into secret memory).
cp "$out/server.key" "$out/server.crt" "$work/"
: >"$results"
: >"$out/steps.log"
mark start
ip link set lo up
# Core files in the crashing process's directory, for the attacker to read.
echo core >/proc/sys/kernel/core_pattern
echo 0 >/proc/sys/kernel/core_uses_pid
export SECRETMEM_REQUIRE_NATIVE=1

started=$SECONDS
section "1. A TLS server whose private key is in secret memory"
if [[ -e /proc/sys/vm/secret_map_pool_drain ]]; then
    say "kernel     Linux $(uname -r) with the MAP_SECRET series, in QEMU (TCG)"
else
    failed "Linux $(uname -r) lacks the MAP_SECRET series (no /proc/sys/vm/secret_map_pool_drain)"
fi
say "key        Ed25519, made for this run: $key"

# Both servers start at once, and the provider is asked meanwhile: each
# takes seconds under TCG.
start_server with 4433 env LD_PRELOAD="$preload" openssl s_server \
    -provider-path "$modules" -provider secretmem -provider default -key "secretmem:$key"
with_pid=$server_pid
start_server without 4434 openssl s_server -key "$key"
without_pid=$server_pid

backend=$(env LD_PRELOAD="$preload libcrypto.so.3" "$python" "$here/key_backend.py" "$modules" \
    "$key" 2>"$out/key-backend.log") || backend=
key_backend=$(sed -n 's/^backend=\([a-z]*\).*/\1/p' <<<"$backend")
heap_backend=$(sed -n 's/.* heap=\([a-z]*\).*/\1/p' <<<"$backend")
case $key_backend in
native) say "provider   the key on backend 'native' (MAP_SECRET), OpenSSL's heap on '$heap_backend'" ;;
'') failed "the provider did not load the key: see $out/key-backend.log" ;;
*) failed "the provider holds the key on backend '$key_backend', not native (MAP_SECRET)" ;;
esac
mark provider asked
result backend "${key_backend:-none}"
result heap "${heap_backend:-none}"

if listening with "$with_pid"; then
    mark server listening
    say "server     PID $with_pid: openssl s_server -key secretmem:$key"
    say "           -provider secretmem, under LD_PRELOAD=libsecretmem-preload.so"
    if handshake with 4433; then
        say "client     openssl s_client: handshake done, certificate verified"
        say "           $tls_version, $tls_cipher, the server signed with $tls_signature"
        result tls_version "$tls_version"
        result tls_cipher "$tls_cipher"
        result tls_signature "$tls_signature"
    fi
    mark handshake finished
    wait_idle "$with_pid" || failed "the server did not go back to waiting for clients"
    mark server idle
    echo
    say "The server's secret mappings, from /proc/$with_pid/smaps (VmFlags: sc = secret,"
    say "out of the kernel's direct map; lo = locked; dd = left out of core dumps):"
    mappings=$(secret_mappings "$with_pid")
    if [[ -n $mappings ]]; then
        mapfile -t mapping_lines <<<"$mappings"
        printf '    %s\n' "${mapping_lines[@]}"
        if [[ $mappings == *" ---p "* ]]; then
            say "The key's region is the provider's, PROT_NONE (---p) between operations; the"
            say "rest is OpenSSL's heap, which the preload keeps in secret memory."
        fi
        result secret_mappings "${#mapping_lines[@]}"
    else
        failed "the server has no secret mapping"
        result secret_mappings 0
    fi
else
    with_pid=
fi
echo
if listening without "$without_pid"; then
    mark control listening
    say "control    PID $without_pid: the same server without secretmem, the key in ordinary memory"
    say "           (openssl s_server -key $key: the default provider)"
    if handshake without 4434; then
        say "           handshake done: $tls_version, the server signed with $tls_signature"
    fi
    wait_idle "$without_pid" || failed "the control server did not go back to waiting for clients"
    mark control idle
    [[ -z $(secret_mappings "$without_pid") ]] || failed "the control server has secret mappings"
else
    without_pid=
fi

mark section 1 finished
result tls_seconds $((SECONDS - started))
started=$SECONDS
section "2. An attacker reads the running servers' memory"
if [[ -n $with_pid && -n $without_pid ]]; then
    say "tests/attack's secretmem-attack --pid, as root: ptrace rights over every process,"
    say "debugfs, core dumps.  It knows the key's 32 bytes only to recognise them; the"
    say "core dump comes last, as it ends each server."
    echo
    status=0
    "$attacker" --control-pid "$without_pid=without secretmem" --pid "$with_pid=with secretmem" \
        --key "$key_hex" >"$out/attack.txt" 2>&1 || status=$?
    sed 's/^./  &/' "$out/attack.txt"
    if ((status == 0)); then
        echo
        say "Every attack got the key from the control server and nothing from the secretmem one."
        result attacks passed
    else
        failed "not what must happen (the control gives up the key, secret memory nothing; status $status): see the table"
        result attacks failed
    fi
else
    failed "no attack: a server did not start"
    result attacks "not run"
fi

mark attacks finished
result attack_seconds $((SECONDS - started))

# nginx NAME PORT [VAR=VALUE...]: nginx with 2 workers in a session of its
# own, in the foreground as under systemd; the master's pid in $nginx_pid.
start_nginx() {
    local name=$1 port=$2 dir=$work/nginx-$1
    shift 2
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port ssl reuseport;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    location / { return 200 "\$pid\n"; }
  }
}
CONF
    setsid env "$@" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
        -g 'daemon off;' >"$out/nginx-$name.log" 2>&1 &
    nginx_pid=$!
    nginx_sessions+=("$nginx_pid")
}

# Requests to nginx NAME on PORT until both its workers have answered (each
# answers with its pid); true then.
serve_both_workers() {
    local name=$1 port=$2 master=$3 tries answered workers
    for ((tries = 0; tries < 600; tries++)); do
        curl -sk --max-time 60 "https://127.0.0.1:$port/" >>"$work/$name.answers" 2>/dev/null || true
        workers=$(pgrep -P "$master" | sort)
        answered=$(sort -u "$work/$name.answers" 2>/dev/null)
        if [[ $(wc -l <<<"$workers") -ge 2 && $(comm -23 <(echo "$workers") \
            <(echo "$answered") | wc -l) -eq 0 ]]; then
            return 0
        fi
        kill -0 "$master" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# One row of the table: what a scan of PID found.
scan_row() {
    local pid=$1 scan
    scan=$("$memscan" --hex "$key_hex" --quiet "$pid" 2>&1 | tail -n 1)
    local read=0 failed=0 hits=0
    [[ $scan =~ pages_read=([0-9]+) ]] && read=${BASH_REMATCH[1]}
    [[ $scan =~ pages_failed=([0-9]+) ]] && failed=${BASH_REMATCH[1]}
    [[ $scan =~ hits=([0-9]+) ]] && hits=${BASH_REMATCH[1]}
    if ((hits == 1)); then
        echo "key found (1 copy)"
    elif ((hits > 1)); then
        echo "key found ($hits copies)"
    elif ((read > 0)); then
        awk -v r="$read" -v f="$failed" \
            'BEGIN { printf "not found (%.1f MiB read, %.1f MiB refused)", r / 256, f / 256 }'
    else
        echo "not read: $scan"
    fi
}

started=$SECONDS
section "3. nginx: a master and the workers it forks"
say "nginx 1.22 from Debian, 2 workers, the same Ed25519 key, switched over as an"
say "administrator would (secretmem enable writes these into the service's unit):"
say "LD_PRELOAD=libsecretmem-preload.so and OPENSSL_CONF=secretmem.cnf.  The workers"
say "are forked after the master loaded the key: each gets its own copy, in secret"
say "memory of its own."
echo
sed "s|^module = .*|module = $modules/secretmem.so|" "$modules/secretmem.cnf" >"$work/secretmem.cnf"
start_nginx with 8443 LD_PRELOAD="$preload" OPENSSL_CONF="$work/secretmem.cnf"
nginx_with=$nginx_pid
start_nginx without 8444
nginx_without=$nginx_pid
nginx_ok=1
for name in with without; do
    port=8443 master=$nginx_with
    [[ $name == without ]] && port=8444 master=$nginx_without
    if ! serve_both_workers "$name" "$port" "$master"; then
        failed "nginx ($name secretmem) did not serve from both workers: see $out/nginx-$name.log"
        nginx_ok=0
    fi
done
if ((nginx_ok)); then
    mark nginx serving
    say "curl: HTTPS (TLS 1.3) answered by each worker of both: $(sort -u "$work/with.answers" |
        wc -l) workers with secretmem, $(sort -u "$work/without.answers" | wc -l) without"
    echo
    printf '  %-22s  %-30s  %s
' "process" "without secretmem" "with secretmem"
    printf '  %-22s  %-30s  %s
' "----------------------" "------------------------------" \
        "------------------------------"
    roles=("master" "worker 1" "worker 2")
    mapfile -t with_procs < <(echo "$nginx_with"; pgrep -P "$nginx_with" | sort -n)
    mapfile -t without_procs < <(echo "$nginx_without"; pgrep -P "$nginx_without" | sort -n)
    found_with=0 missed_without=0
    for i in 0 1 2; do
        row_without=$(scan_row "${without_procs[$i]}")
        row_with=$(scan_row "${with_procs[$i]}")
        [[ $row_without == "key found"* ]] || missed_without=1
        [[ $row_with == "not found"* ]] || found_with=1
        printf '  %-22s  %-30s  %s
' "nginx ${roles[$i]}" "$row_without" "$row_with"
    done
    echo
    if ((found_with == 0 && missed_without == 0)); then
        say "The attacker found the key in every process of the control and in no process of"
        say "nginx under secretmem."
        result nginx passed
    else
        failed "nginx: the key was found with secretmem, or not found in the control (see the table)"
        result nginx failed
    fi
fi
for pid in "$nginx_with" "$nginx_without"; do
    kill -TERM "$pid" 2>/dev/null || true
done
mark nginx finished
result nginx_seconds $((SECONDS - started))

started=$SECONDS
section "4. MAP_SECRET against memfd_secret, in this VM"
say "bench/'s secret-bench, a few of its cases, in this VM (about 15 s) ..."
rm -f "$out"/bench-*.json
# The direct-map counters first, before the speed run's memfd_secret
# splits the direct map for good; at 2 MiB (--smoke), as the full run's
# 512 MiB takes minutes under TCG.
if "$bench" --smoke --benchmark_filter='^direct_map/(MAP_SECRET|memfd_secret)/' \
    --benchmark_out="$out/bench-direct-map.json" --benchmark_out_format=json >"$out/bench.log" 2>&1 &&
    "$bench" --benchmark_filter='^(populate/(MAP_SECRET|memfd_secret)/2MiB|map_touch_unmap/(MAP_SECRET|memfd_secret)/(4|64)KiB)/' \
        --benchmark_out="$out/bench-speed.json" --benchmark_out_format=json >>"$out/bench.log" 2>&1; then
    result bench ran
else
    failed "secret-bench failed: see $out/bench.log"
    result bench failed
fi

mark bench finished
result bench_seconds $((SECONDS - started))

trap - EXIT
cleanup
((failures == 0))
