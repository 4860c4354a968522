#!/usr/bin/env bash
# Regenerate the seed corpora in fuzz/corpus/ (run from anywhere; the keys
# are new each time, so only rerun it to change the seeds):
#   provider-keys/  key files from openssl genpkey, each behind the mode byte
#                   key_fuzzer.cpp reads: the formats servers keep keys in,
#                   encrypted with the fuzzer's fixed passphrase or not, and a
#                   few the provider must refuse
#   sdk-alloc-ops/  hand-written op programs (op_stream.hpp)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
keys=$here/corpus/provider-keys
ops=$here/corpus/sdk-alloc-ops
pass='secretmem fuzz passphrase'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$keys" "$ops"
mkdir -p "$keys" "$ops"

# seed NAME MODE FILE: the mode byte (key_fuzzer.cpp), then the file.
seed() {
    { printf "%b" "\\x$2"; cat "$3"; } >"$keys/$1"
}

# Store (route 0) and decoder seeds, passphrase given, key used: 0x0c is the
# store, 0x1c the store as secretmem://PATH, 0x0d the DER decoder, 0x0e PEM.
make_key() {
    local name=$1
    shift
    openssl genpkey -quiet "$@" -out "$work/$name.pem"
    openssl pkcs8 -topk8 -nocrypt -in "$work/$name.pem" -outform DER -out "$work/$name.der"
    openssl pkcs8 -topk8 -in "$work/$name.pem" -passout "pass:$pass" -v2 aes-256-cbc \
        -out "$work/$name-enc.pem"
    openssl pkcs8 -topk8 -in "$work/$name.pem" -passout "pass:$pass" -v2 aes-128-cbc \
        -outform DER -out "$work/$name-enc.der"
    seed "$name-pkcs8.pem" 0c "$work/$name.pem"
    seed "$name.der" 1c "$work/$name.der"
    seed "$name-enc.pem" 0c "$work/$name-enc.pem"
    seed "$name-enc.der" 0c "$work/$name-enc.der"
    seed "decoder-$name.der" 0d "$work/$name.der"
    seed "decoder-$name-enc.pem" 0e "$work/$name-enc.pem"
}

make_key ed25519 -algorithm ED25519
make_key x25519 -algorithm X25519
make_key p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
make_key p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
make_key rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048

# The traditional formats (SEC1, PKCS#1), plain and with PEM encryption.
openssl pkey -in "$work/p256.pem" -traditional -out "$work/p256-sec1.pem"
openssl ec -in "$work/p256.pem" -aes128 -passout "pass:$pass" -out "$work/p256-sec1-enc.pem" 2>/dev/null
openssl pkey -in "$work/rsa2048.pem" -traditional -out "$work/rsa-pkcs1.pem"
openssl rsa -in "$work/rsa2048.pem" -traditional -outform DER -out "$work/rsa-pkcs1.der" 2>/dev/null
seed p256-sec1.pem 0c "$work/p256-sec1.pem"
seed p256-sec1-enc.pem 0c "$work/p256-sec1-enc.pem"
seed rsa-pkcs1.pem 0c "$work/rsa-pkcs1.pem"
seed decoder-rsa-pkcs1.der 0d "$work/rsa-pkcs1.der"
seed decoder-p256-sec1.pem 0f "$work/p256-sec1.pem"
openssl ec -in "$work/p256.pem" -outform DER -out "$work/p256-sec1.der" 2>/dev/null
seed p256-sec1.der 0c "$work/p256-sec1.der"

# What the provider must refuse, each with a reason: no passphrase, a
# public key, a curve and a key size it does not hold, a truncated file.
seed ed25519-enc-no-passphrase.pem 08 "$work/ed25519-enc.pem"
openssl pkey -in "$work/p256.pem" -pubout -out "$work/p256-public.pem"
seed p256-public.pem 0c "$work/p256-public.pem"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out "$work/p224.pem"
seed p224.pem 0c "$work/p224.pem"
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/rsa1024.pem"
seed rsa1024.pem 0c "$work/rsa1024.pem"
head -c 100 "$work/p256.der" >"$work/p256-truncated.der"
seed p256-truncated.der 0c "$work/p256-truncated.der"

# Op programs: 2 header bytes, then [opcode | thread << 7][slot][value LE].
python3 - "$ops" <<'PY'
import struct, sys
from pathlib import Path

OPS = ("heap_malloc heap_calloc heap_realloc heap_aligned_alloc heap_free heap_rewrite "
       "heap_hand_off heap_adopt heap_check region_allocate region_destroy region_protect "
       "region_open_window region_close_window region_write region_read region_touch "
       "region_move region_probe shared_open_window shared_close_window shared_touch "
       "shared_protect yield heap_fork region_reassign_window secret_value").split()
code = {name: i for i, name in enumerate(OPS)}
out = Path(sys.argv[1])

def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h

def encode(flags, shared_units, ops):
    data = bytes([flags, shared_units])
    for op in ops:
        name_, slot, value, *thread = op
        data += struct.pack("<BBH", code[name_] | (thread[0] << 7 if thread else 0), slot, value)
    return data

def program(name, flags, shared_units, ops):
    data = encode(flags, shared_units, ops)
    # heap_fork runs only in inputs whose hash is 0 modulo 16 (op_stream.cpp):
    # end such a program with a yield whose value makes it so.
    if any(op[0] == "heap_fork" for op in ops):
        data = next(d for d in (encode(flags, shared_units, ops + [("yield", 0, v)])
                                for v in range(1 << 16)) if fnv1a(d) % 16 == 0)
    (out / name).write_bytes(data)

SMALL, MEDIUM, LARGE, HUGE = 0x0000, 0x4000, 0x8000, 0xC000
READ, WRITE, CHECK_ON_OPEN = 0, 1, 2

program("heap-sizes", 0, 0, [
    ("heap_malloc", 0, SMALL | 0), ("heap_malloc", 1, SMALL | 24), ("heap_malloc", 2, SMALL | 512),
    ("heap_malloc", 3, MEDIUM | 1024), ("heap_malloc", 4, LARGE | 4096), ("heap_malloc", 5, HUGE | 16),
    ("heap_check", 0, 0),
    ("heap_free", 5, 0), ("heap_free", 0, 0), ("heap_check", 0, 0),
])
program("heap-realloc", 0, 0, [
    ("heap_malloc", 0, SMALL | 24), ("heap_realloc", 0, LARGE | 0x3FFF), ("heap_realloc", 0, MEDIUM | 1024),
    ("heap_realloc", 0, SMALL | 100), ("heap_realloc", 1, SMALL | 40), ("heap_realloc", 1, HUGE | 1),
    ("heap_rewrite", 1, 7), ("heap_realloc", 1, SMALL | 0), ("heap_check", 0, 0),
])
program("heap-calloc-aligned", 0, 0, [
    ("heap_calloc", 0, (100 << 6) | 6), ("heap_calloc", 0x80, 0),
    ("heap_aligned_alloc", 1, (12 << 5) | 6), ("heap_aligned_alloc", 2, (100 << 5) | 12),
    ("heap_aligned_alloc", 3, (1 << 5) | 21), ("heap_aligned_alloc", 4, 23), ("heap_aligned_alloc", 4, 22),
    ("heap_check", 0, 0), ("heap_free", 2, 0), ("heap_free", 3, 0),
])
program("heap-two-threads", 1, 0, [
    ("heap_malloc", 0, SMALL | 32, 0), ("heap_malloc", 0, SMALL | 48, 1),
    ("heap_hand_off", 0, 0, 0), ("heap_adopt", 3, 0, 1), ("heap_malloc", 1, MEDIUM | 300, 0),
    ("heap_hand_off", 1, 0, 0), ("yield", 0, 0, 1), ("heap_adopt", 4, 0, 1), ("heap_free", 3, 0, 1),
    ("heap_malloc", 2, LARGE | 100, 1), ("heap_hand_off", 2, 0, 1), ("heap_check", 0, 0, 0),
    ("heap_check", 0, 0, 1),
])
program("region-windows", 0, 0, [
    ("region_allocate", 0, 100), ("region_probe", 0, 0), ("region_open_window", 0, WRITE),
    ("region_write", 0, 0x1234), ("region_open_window", 0, READ | CHECK_ON_OPEN),
    ("region_probe", 0, 0), ("region_close_window", 0, 0), ("region_read", 0, 0),
    ("region_close_window", 0, 0), ("region_protect", 0, 1), ("region_touch", 0, 0),
    ("region_probe", 0, 0), ("region_protect", 0, 2), ("region_touch", 0, 5), ("region_probe", 0, 0),
    ("region_protect", 0, 0), ("region_probe", 0, 0), ("region_destroy", 0, 0),
])
program("region-move", 0, 0, [
    ("region_allocate", 0, 5000), ("region_allocate", 1, 1), ("region_open_window", 0, WRITE),
    ("region_write", 0, 0xFF00), ("region_move", 0, 2), ("region_read", 2, 0), ("region_move", 2, 1),
    ("region_probe", 1, 0), ("region_allocate", 3, 0), ("region_allocate", 4, 65535),
    ("region_protect", 4, 2), ("region_touch", 4, 9), ("region_destroy", 4, 0),
])
program("shared-region", 3, 15, [
    ("shared_open_window", 0, WRITE, 0), ("shared_open_window", 0, READ, 1),
    ("shared_touch", 0, 0x0101, 0), ("shared_touch", 0, 0, 1), ("shared_open_window", 0, WRITE, 1),
    ("shared_touch", 0, 0x0203, 1), ("shared_close_window", 0, 0, 0), ("shared_protect", 0, 1, 0),
    ("yield", 0, 0, 0), ("shared_touch", 0, 0, 1), ("shared_close_window", 0, 0, 1),
    ("shared_protect", 0, 0, 1), ("shared_close_window", 0, 0, 1),
])
program("fork-reassign-secret", 0, 0, [
    ("heap_malloc", 0, SMALL | 100), ("heap_malloc", 1, LARGE | 100), ("heap_fork", 0, 0),
    ("region_allocate", 0, 300), ("region_open_window", 0, WRITE),
    ("region_open_window", 0, READ), ("region_open_window", 0, WRITE),
    ("region_reassign_window", 0, 0x0100), ("region_reassign_window", 0, 0x0002),
    ("secret_value", 0, 77), ("heap_check", 0, 0),
])
program("fork-copy", 0, 0, [
    ("heap_malloc", 0, SMALL | 64), ("heap_calloc", 1, (10 << 6) | 3), ("heap_fork", 0, 1),
    ("heap_free", 0, 0), ("heap_check", 0, 0),
])
program("everything-two-threads", 3, 3, [
    ("region_allocate", 0, 300, 0), ("heap_malloc", 0, SMALL | 200, 1), ("region_open_window", 0, WRITE, 0),
    ("shared_open_window", 0, READ, 1), ("region_write", 0, 77, 0), ("heap_hand_off", 0, 0, 1),
    ("heap_adopt", 1, 0, 0), ("region_allocate", 1, 9000, 1), ("region_protect", 1, 1, 1),
    ("region_touch", 1, 0, 1), ("shared_touch", 0, 0, 1), ("region_move", 0, 3, 0),
    ("region_probe", 3, 0, 0), ("heap_realloc", 1, MEDIUM | 2000, 0), ("heap_check", 0, 0, 0),
    ("shared_protect", 0, 2, 0), ("region_probe", 1, 0, 1),
])
PY
du -sh "$here/corpus"
