#!/usr/bin/env bash
# Style and static checks for userspace C/C++: clang-format must leave every
# file unchanged, clang-tidy (.clang-tidy) must report nothing.  clang-tidy is
# slow, so a translation unit is re-checked only when it, a project header or
# the configuration changed since it last passed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
stamps=$build/lint-stamps
mkdir -p "$stamps"
cd "$src"

dirs=(libc-shim sdk allocator integrations cli examples tests bench)
mapfile -t files < <(find "${dirs[@]}" -name '*.[ch]' -o -name '*.[ch]pp' | sort)

echo "clang-format: ${#files[@]} files"
clang-format --dry-run -Werror "${files[@]}"

# Everything a translation unit's result depends on besides itself.
common=$(cat .clang-tidy $(printf '%s\n' "${files[@]}" | grep -E '\.(h|hpp)$') | sha256sum | cut -c1-16)
todo=()
for f in "${files[@]}"; do
    [[ $f == *.c || $f == *.cpp ]] || continue
    key=$(cat "$f" | sha256sum | cut -c1-16)-$common
    [[ -e $stamps/${f//\//_}-$key ]] || todo+=("$f")
done
echo "clang-tidy: ${#todo[@]} changed translation units"
[[ ${#todo[@]} -eq 0 ]] && exit 0

check_one() {
    local f=$1 build=$2 stamps=$3 common=$4
    # GCC's -ffat-lto-objects (allocator/meson.build) means nothing to clang.
    if clang-tidy -p "$build" --quiet --extra-arg=-Wno-ignored-optimization-argument "$f" \
        2>/dev/null | grep -E -A3 'error:|warning:'; then
        return 1
    fi
    rm -f "$stamps/${f//\//_}"-*
    touch "$stamps/${f//\//_}-$(sha256sum <"$f" | cut -c1-16)-$common"
}
export -f check_one
printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} bash -c 'check_one "$@"' _ {} "$build" "$stamps" "$common"
