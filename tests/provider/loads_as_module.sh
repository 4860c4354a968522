#!/usr/bin/env bash
# The provider module loads by name from a -provider-path, as openssl.cnf or
# a command line would load it, and says who it is.
#   loads_as_module.sh MODULE_DIR
set -euo pipefail
dir=$1
out=$(openssl list -providers -provider-path "$dir" -provider secretmem -provider default 2>&1) || {
    echo "provider_loads: openssl could not load secretmem from $dir:" >&2
    echo "$out" >&2
    exit 1
}
echo "$out"
grep -q '^  secretmem$' <<<"$out" || { echo "provider_loads: secretmem is not listed" >&2; exit 1; }
grep -q 'name: secretmem: private keys in secret memory' <<<"$out" || {
    echo "provider_loads: secretmem's name parameter is missing" >&2
    exit 1
}
grep -A3 '^  secretmem$' <<<"$out" | grep -q 'status: active' || {
    echo "provider_loads: secretmem is not active" >&2
    exit 1
}
