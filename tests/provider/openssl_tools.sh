#!/usr/bin/env bash
# The provider with the real openssl tools, as a server operator would use
# it: no code change, a key file named by a secretmem: URI.
#   openssl_tools.sh MODULE_DIR PRELOAD_LIB
#  - `openssl s_server -provider secretmem ... -key secretmem:KEY` serves
#    `openssl s_client` over loopback, TLS 1.2 and 1.3, for EC P-256,
#    RSA-2048 and Ed25519 keys; the client verifies the certificate;
#  - `openssl pkeyutl -sign -inkey secretmem:KEY` signs, and the default
#    provider alone verifies the signature;
#  - what goes wrong is said on stderr: a wrong passphrase, and a program
#    not run under the preload.
set -euo pipefail
module_dir=$1
preload=$2
work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "openssl_tools: $*" >&2
    exit 1
}
provider=(-provider-path "$module_dir" -provider secretmem -provider default)
under_preload=(env "LD_PRELOAD=$preload")

cd "$work"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed25519.pem
openssl pkey -in ec.pem -aes256 -passout pass:hunter2 -out ec-encrypted.pem
for key in ec rsa ed25519; do
    openssl req -x509 -new -key "$key.pem" -subj /CN=localhost -days 1 -out "$key.crt" 2>/dev/null
done

# A server on a free loopback port; its port in $port once it listens.
start_server() {
    local key=$1
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        "${under_preload[@]}" openssl s_server "${provider[@]}" -key "secretmem:$work/$key.pem" \
            -cert "$key.crt" -accept "127.0.0.1:$port" -naccept 2 -www \
            >"server-$key.log" 2>&1 &
        server_pid=$!
        # Minutes, not seconds: in the VM an emulated CPU shared with other
        # tests may take long to load OpenSSL, the provider and an RSA key.
        local deadline=$((SECONDS + 180))
        while ((SECONDS < deadline)); do
            grep -q '^ACCEPT' "server-$key.log" 2>/dev/null && return 0
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
        grep -q 'Address already in use' "server-$key.log" || break
    done
    cat "server-$key.log" >&2
    fail "s_server did not start with secretmem:$work/$key.pem"
}

for key in ec rsa ed25519; do
    start_server "$key"
    for version in -tls1_2 -tls1_3; do
        out=$(printf 'GET / HTTP/1.0\r\n\r\n' |
            openssl s_client -connect "127.0.0.1:$port" "$version" -CAfile "$key.crt" \
                -verify_return_error -servername localhost 2>&1) ||
            { echo "$out" >&2; cat "server-$key.log" >&2; fail "s_client $version failed against $key"; }
        grep -q 'Verify return code: 0 (ok)' <<<"$out" ||
            { echo "$out" >&2; fail "the $key certificate did not verify ($version)"; }
        proto=$(grep -m1 -oE '^New, TLSv1\.[23]' <<<"$out" || true)
        proto=${proto#New, }
        case $version in
        -tls1_2) [[ $proto == *1.2 ]] || fail "$key: expected TLSv1.2, got '$proto'" ;;
        -tls1_3) [[ $proto == *1.3 ]] || fail "$key: expected TLSv1.3, got '$proto'" ;;
        esac
        echo "s_server with secretmem:$key.pem served s_client over $proto"
    done
    wait "$server_pid" || { cat "server-$key.log" >&2; fail "s_server ($key) exited with an error"; }
    server_pid=
done

printf 'a message to sign' >message
openssl dgst -sha256 -binary message >message.sha256
for key in ec rsa ed25519; do
    if [[ $key == ed25519 ]]; then input=(-rawin -in message); else input=(-in message.sha256); fi
    "${under_preload[@]}" openssl pkeyutl -sign "${provider[@]}" -inkey "secretmem:$work/$key.pem" \
        "${input[@]}" -out "$key.sig" 2>"sign-$key.err" ||
        { cat "sign-$key.err" >&2; fail "pkeyutl -sign with secretmem:$key.pem failed"; }
    openssl pkey -in "$key.pem" -pubout -out "$key.pub"
    openssl pkeyutl -verify -pubin -inkey "$key.pub" "${input[@]}" -sigfile "$key.sig" >/dev/null ||
        fail "the default provider rejects pkeyutl's $key signature"
    echo "pkeyutl signed with secretmem:$key.pem; the default provider verified it"
done

"${under_preload[@]}" openssl pkeyutl -sign "${provider[@]}" -passin pass:hunter2 \
    -inkey "secretmem:$work/ec-encrypted.pem" -in message.sha256 -out enc.sig 2>enc.err ||
    { cat enc.err >&2; fail "the encrypted key did not load with its passphrase"; }
openssl pkeyutl -verify -pubin -inkey ec.pub -in message.sha256 -sigfile enc.sig >/dev/null ||
    fail "the signature with the encrypted key does not verify"
echo "an encrypted key file loaded with its passphrase"

if "${under_preload[@]}" openssl pkeyutl -sign "${provider[@]}" -passin pass:wrong \
    -inkey "secretmem:$work/ec-encrypted.pem" -in message.sha256 -out bad.sig 2>wrong.err; then
    fail "a wrong passphrase was accepted"
fi
grep -q 'wrong passphrase' wrong.err || { cat wrong.err >&2; fail "no 'wrong passphrase' reason"; }
echo "a wrong passphrase is refused: $(grep -m1 -o 'the encrypted key file[^:]*' wrong.err)"

if openssl pkeyutl -sign "${provider[@]}" -inkey "secretmem:$work/ec.pem" -in message.sha256 \
    -out none.sig 2>nopreload.err; then
    fail "an EC key loaded where OpenSSL's heap is ordinary memory"
fi
grep -q 'run the program under libsecretmem-preload.so' nopreload.err ||
    { cat nopreload.err >&2; fail "no reason given without the preload"; }
echo "without the preload the EC key is refused, saying what to do"
