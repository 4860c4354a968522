#!/usr/bin/env bash
# secretmem enable / disable: the drop-in a systemd service gets, and that
# it works.  There is no systemd to start the unit here, so the test does
# what systemd would with the drop-in: nginx (master and 2 workers) started
# with exactly its Environment= lines and LimitMEMLOCK.  It must serve, and
# no process of it may hold the key readable; disable then removes the
# drop-in, and a second disable says there is none.
#
#   dropin_test.sh SECRETMEM MEMSCAN PROVIDER_DIR
set -euo pipefail
cli=$1 memscan=$2 provider_dir=$3
nginx=/usr/sbin/nginx
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $nginx ]] || fail "nginx is not installed (make deps installs it)"

scratch=$(mktemp -d)
master=
cleanup() {
    [[ -n $master ]] && kill -KILL -- "-$master" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

# The provider's configuration as installed, naming this build's module.
sed "s|^module = .*|module = $provider_dir/secretmem.so|" "$provider_dir/secretmem.cnf" \
    >"$scratch/secretmem.cnf"
units=$scratch/units

# Bad input changes nothing.
if "$cli" enable --unit-dir "$units" 'no such/unit' 2>"$scratch/err"; then
    fail "a bad unit name was accepted"
fi
[[ ! -e $units ]] || fail "a refused enable wrote something"
if "$cli" enable --unit-dir "$units" --openssl-conf "$scratch/missing.cnf" web 2>"$scratch/err"; then
    fail "a missing OpenSSL configuration was accepted"
fi
grep -q "no OpenSSL configuration at" "$scratch/err" || fail "no reason given: $(<"$scratch/err")"
[[ ! -e $units ]] || fail "a refused enable wrote something"

"$cli" enable --unit-dir "$units" --openssl-conf "$scratch/secretmem.cnf" web >"$scratch/out"
dropin=$units/web.service.d/secretmem.conf
[[ -f $dropin ]] || fail "no drop-in at $dropin: $(<"$scratch/out")"
grep -q "daemon-reload" "$scratch/out" || fail "enable does not say how to apply it"
grep -qx '\[Service\]' "$dropin" || fail "the drop-in has no [Service] section"
grep -qx 'LimitMEMLOCK=infinity' "$dropin" || fail "the drop-in leaves the memlock limit"
env_lines=$(sed -n 's/^Environment=//p' "$dropin")
grep -q '^LD_PRELOAD=/.*libsecretmem-preload.so$' <<<"$env_lines" || fail "no LD_PRELOAD: $env_lines"
grep -qx "OPENSSL_CONF=$scratch/secretmem.cnf" <<<"$env_lines" || fail "no OPENSSL_CONF: $env_lines"
# Enabling again is the same drop-in.
cp "$dropin" "$scratch/first"
"$cli" enable --unit-dir "$units" --openssl-conf "$scratch/secretmem.cnf" web.service >/dev/null
cmp -s "$dropin" "$scratch/first" || fail "a second enable changed the drop-in"

# What systemd would start: the drop-in's environment and limit.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -days 1 -keyout "$scratch/key.pem" -out "$scratch/cert.pem" 2>/dev/null
scalar=$(openssl pkey -in "$scratch/key.pem" -noout -text |
    sed -n '/^priv:/,/^pub:/p' | grep -v '^priv:\|^pub:' | tr -d ' :\n')
[[ ${#scalar} -ge 60 ]] || fail "cannot read the key's scalar"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$scratch/nginx.conf" <<CONF
worker_processes 2;
pid $scratch/nginx.pid;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path $scratch/body; proxy_temp_path $scratch/proxy;
  fastcgi_temp_path $scratch/fastcgi; uwsgi_temp_path $scratch/uwsgi; scgi_temp_path $scratch/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $scratch/cert.pem;
    ssl_certificate_key $scratch/key.pem;
    location / { return 200 "ok\n"; }
  }
}
CONF
mapfile -t env_vars <<<"$env_lines"
(
    # LimitMEMLOCK=infinity, where this sandbox lets root raise the hard
    # limit (root's CAP_IPC_LOCK makes the limit moot anyway).
    ulimit -l unlimited 2>/dev/null || true
    exec setsid env "${env_vars[@]}" "$nginx" -p "$scratch/" -c "$scratch/nginx.conf" \
        -e "$scratch/error.log" -g 'daemon off;' 2>"$scratch/nginx.err"
) &
master=$!
for _ in $(seq 600); do
    curl -sk --max-time 30 "https://127.0.0.1:$port/" >"$scratch/reply" 2>/dev/null && break
    kill -0 "$master" 2>/dev/null || fail "nginx did not start: $(cat "$scratch/nginx.err" "$scratch/error.log" 2>&1)"
    sleep 0.2
done
[[ $(<"$scratch/reply") == ok ]] || fail "nginx under the drop-in did not serve"
pids=$(pgrep -s "$master")
[[ $(wc -w <<<"$pids") -ge 3 ]] || fail "expected a master and 2 workers, got: $pids"
for pid in $pids; do
    if ! "$memscan" --hex "$scalar" --reverse --quiet "$pid" >"$scratch/scan"; then
        fail "process $pid of nginx under the drop-in holds its key readable: $(<"$scratch/scan")"
    fi
done

"$cli" disable --unit-dir "$units" web >"$scratch/out"
[[ ! -e $dropin && ! -e $units/web.service.d ]] || fail "disable left the drop-in"
if "$cli" disable --unit-dir "$units" web 2>"$scratch/err"; then
    fail "disabling what is not enabled succeeded"
fi
grep -q "is not switched over" "$scratch/err" || fail "no reason given: $(<"$scratch/err")"
echo "ok: the drop-in switches nginx over ($(wc -w <<<"$pids") processes scanned) and back"
