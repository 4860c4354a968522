#!/usr/bin/env bash
# A private copy of Debian's jemalloc for the secret heap.
#
#   privatize.sh IN.a OUT.a
#
# Debian's libjemalloc exports malloc, free and the rest unprefixed: linked
# as it is, it would replace the whole process's malloc, and the secret
# heap must sit beside glibc's, not take it over.  This copies the PIC
# archive, drops the C++ operator new/delete member and renames every
# public symbol to sm_je_<name>, definitions and references alike.  The
# library that links it hides all of it (--exclude-libs), so the copy
# cannot interpose on, or be interposed by, a jemalloc the process also
# loads.
set -euo pipefail
in=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$in" "$work/lib.a"
ar d "$work/lib.a" jemalloc_cpp.pic.o
# jemalloc's internals are je_-prefixed and hidden already; what remains
# global is the public API (malloc, mallocx, mallctl, malloc_conf ...).
nm -g --defined-only "$work/lib.a" |
    awk 'NF == 3 && $3 !~ /^je_/ { print $3 " sm_je_" $3 }' | sort -u >"$work/symbols"
grep -q '^mallocx sm_je_mallocx$' "$work/symbols" || {
    echo "privatize.sh: $in has no mallocx: not the jemalloc 5 archive expected" >&2
    exit 1
}
objcopy --redefine-syms="$work/symbols" "$work/lib.a"
mv "$work/lib.a" "$out"
