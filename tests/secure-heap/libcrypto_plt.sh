#!/usr/bin/env bash
# The redirection of OpenSSL's heaps works only if libcrypto calls its own
# CRYPTO_secure_* and CRYPTO_malloc family through the PLT, where the
# preload shim's definitions win.  A libcrypto linked with -Bsymbolic-functions (or with
# hidden aliases) binds those calls inside itself and would keep every
# private key in OpenSSL's ordinary heap without a word: fail loudly here
# instead.
#
#   libcrypto_plt.sh [LIBCRYPTO]   (default: the one the linker resolves)
set -euo pipefail
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE,
# which pipefail turns into a failure of the test.
lib=${1:-$(ldconfig -p | awk '/libcrypto\.so\.3 .*x86-64/ && !found { print $NF; found = 1 }')}
[[ -f $lib ]] || { echo "libcrypto_plt: no libcrypto.so.3 found" >&2; exit 1; }
lib=$(readlink -f "$lib")

relocations=$(readelf -rW "$lib")
missing=()
# The functions libcrypto itself calls; the others (init, used,
# actual_size, initialized) are for applications, which always go through
# their own PLT.
for fn in CRYPTO_secure_malloc CRYPTO_secure_zalloc CRYPTO_secure_free \
    CRYPTO_secure_clear_free CRYPTO_secure_allocated CRYPTO_secure_malloc_done \
    CRYPTO_malloc CRYPTO_zalloc CRYPTO_realloc CRYPTO_clear_realloc CRYPTO_free \
    CRYPTO_clear_free; do
    if grep -Eq "R_X86_64_(JUMP_SLOT|GLOB_DAT) +[0-9a-f]+ ${fn}@" <<<"$relocations"; then
        echo "ok: $lib reaches $fn through a relocation"
    else
        missing+=("$fn")
    fi
done
if ((${#missing[@]})); then
    echo "libcrypto_plt: $lib binds ${missing[*]} internally (no PLT/GOT relocation):" \
        "the preload shim cannot redirect OpenSSL's heaps with this libcrypto;" \
        "use a libcrypto built without -Bsymbolic-functions" >&2
    exit 1
fi
