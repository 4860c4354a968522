#!/usr/bin/env bash
# `meson install` of this build into a scratch tree, then what a user of the
# installed project does: build programs against it with nothing but
# pkg-config's flags and run them.
#
#   install-consumers.sh WORK_DIR
#
# The build's directories come from the environment (tests/install/
# meson.build): INSTALL_PREFIX, INSTALL_LIBDIR, INSTALL_BINDIR,
# INSTALL_INCLUDEDIR, INSTALL_DATADIR, INSTALL_MANDIR, INSTALL_MODULESDIR
# (all absolute), OPENSSL_MODULESDIR (libcrypto's own), DEFAULT_LIBRARY,
# BUILD_ROOT, SOURCE_ROOT.
#
# The build dir's prefix is its own (/usr/local by default), so the tree is
# staged with --destdir and pkg-config pointed into it with
# PKG_CONFIG_SYSROOT_DIR, as for any staged tree: the .pc files stay as
# installed.  The sysroot also lands in front of the system packages'
# directories (libcrypto's -I/usr/include): those do not exist in the tree,
# and the compiler's own search paths still find them.
#
# Checks, each failing the test: the files step 1 of issue 8 promises, and
# nothing outside the prefix; every installed binary's libraries resolve in
# the tree; C (shim + secret heap), C++ (SDK) and provider consumers, linked
# against the shared libraries and, in a copy of the tree without them,
# against the static ones, each asserting real behaviour; the installed CLI,
# preload library and provider module at work.
set -euo pipefail

work=${1:?usage: install-consumers.sh WORK_DIR}
for v in INSTALL_PREFIX INSTALL_LIBDIR INSTALL_BINDIR INSTALL_INCLUDEDIR INSTALL_DATADIR \
    INSTALL_MANDIR INSTALL_MODULESDIR OPENSSL_MODULESDIR DEFAULT_LIBRARY BUILD_ROOT SOURCE_ROOT; do
    if [[ -z ${!v+set} ]]; then
        echo "install-consumers: $v is not set; run this through meson test (tests/install/meson.build)" >&2
        exit 2
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
cxx=${CXX:-c++}

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

rm -rf "$work"
mkdir -p "$work"
dest=$work/dest
if ! meson install -C "$BUILD_ROOT" --destdir "$dest" --no-rebuild >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    echo "install-consumers: meson install failed (log above; build everything first: meson compile -C $BUILD_ROOT)" >&2
    exit 1
fi

lib=$dest$INSTALL_LIBDIR
shared=$([[ $DEFAULT_LIBRARY != static ]] && echo yes || echo no)
static=$([[ $DEFAULT_LIBRARY != shared ]] && echo yes || echo no)
if [[ $static == no ]]; then
    echo "NOTE: this build dir has default_library=shared: no static libraries to check." >&2
    echo "      meson configure $BUILD_ROOT -Ddefault_library=both  checks them too." >&2
fi

# --- The installed files.
expect() {
    [[ -e $1 ]] || fail "not installed: ${1#"$dest"}"
}
expect_absent() {
    [[ ! -e $1 ]] || fail "installed, but must not be: ${1#"$dest"}"
}
for h in mman.h probe.h backend.hpp error.hpp policy.hpp region.hpp secret.hpp secretmem.hpp \
    alloc.h allocator.hpp; do
    expect "$dest$INSTALL_INCLUDEDIR/secretmem/$h"
done
expect "$dest$INSTALL_INCLUDEDIR/secretmem_provider.h"
libraries=(secretmem-shim secretmem-sdk secretmem-alloc secretmem-provider)
for name in "${libraries[@]}"; do
    expect "$lib/pkgconfig/$name.pc"
    if [[ $shared == yes ]]; then
        expect "$lib/lib$name.so"
        expect "$lib/lib$name.so.0"
    fi
    if [[ $static == yes ]]; then
        expect "$lib/lib$name.a"
    fi
done
# The preload library and the module are loaded by path or by name: shared only.
expect "$lib/libsecretmem-preload.so"
expect_absent "$lib/libsecretmem-preload.a"
expect "$dest$INSTALL_MODULESDIR/secretmem.so"
expect_absent "$dest$INSTALL_MODULESDIR/secretmem.a"
[[ -x $dest$INSTALL_BINDIR/secretmem ]] || fail "not installed: $INSTALL_BINDIR/secretmem"
cnf=$dest$INSTALL_DATADIR/secretmem/secretmem.cnf
expect "$cnf"
if [[ -e $cnf ]]; then
    # OpenSSL finds a module by name only in its own modules directory.
    module_line="module = $INSTALL_MODULESDIR/secretmem.so"
    if [[ $INSTALL_MODULESDIR != "$OPENSSL_MODULESDIR" ]] && ! grep -qxF "$module_line" "$cnf"; then
        fail "secretmem.cnf does not name the module outside OpenSSL's modules directory ($module_line)"
    fi
fi
# Man pages: the CLI's, and docs/man's once it has a meson.build.
man_sources=("$SOURCE_ROOT"/cli/*.[1-8])
if [[ -e $SOURCE_ROOT/docs/man/meson.build ]]; then
    man_sources+=("$SOURCE_ROOT"/docs/man/*.[1-8])
elif compgen -G "$SOURCE_ROOT/docs/man/*.[1-8]" >/dev/null; then
    echo "NOTE: docs/man has pages but no meson.build: they are not installed." >&2
fi
for page in "${man_sources[@]}"; do
    [[ -e $page ]] || continue
    name=$(basename "$page")
    expect "$dest$INSTALL_MANDIR/man${name##*.}/$name"
done
# Nothing may land outside the prefix (the module directory when given on its own).
while IFS= read -r f; do
    case $f in
    "$dest$INSTALL_PREFIX"/* | "$dest$INSTALL_MODULESDIR"/*) ;;
    *) fail "installed outside the prefix: ${f#"$dest"}" ;;
    esac
done < <(find "$dest" -type f -o -type l)

# --- Every installed binary finds its libraries in the tree.
export LD_LIBRARY_PATH=$lib
while IFS= read -r f; do
    [[ $(head -c4 "$f") == $'\x7fELF' ]] || continue
    if ldd "$f" | grep 'not found'; then
        fail "${f#"$dest"}: libraries not found in the installed tree"
    fi
done < <(find "$lib" "$dest$INSTALL_BINDIR" "$dest$INSTALL_MODULESDIR" -maxdepth 1 -type f)
unset LD_LIBRARY_PATH

# --- Consumers, from pkg-config alone.
# pkg_config TREE ARGS...: pkg-config over a staged tree, the system's .pc
# files still found after it.
pkg_config() {
    local tree=$1
    shift
    PKG_CONFIG_SYSROOT_DIR=$tree \
        PKG_CONFIG_PATH="$tree$INSTALL_LIBDIR/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
        pkg-config "$@"
}
# build TREE KIND OUT SOURCE PACKAGES...: KIND is dynamic or static; the
# warnings are strict so that the installed headers are checked too.
build() {
    local tree=$1 kind=$2 out=$3 source=$4
    shift 4
    local compile=("$cc" -std=c11)
    [[ $source == *.cpp ]] && compile=("$cxx" -std=c++20)
    compile+=(-Wall -Wextra -Wpedantic -Werror)
    local static_flag=()
    [[ $kind == static ]] && static_flag=(--static)
    local cflags libs
    if ! cflags=$(pkg_config "$tree" --cflags "$@") ||
        ! libs=$(pkg_config "$tree" "${static_flag[@]}" --libs "$@"); then
        fail "pkg-config $* (${kind}) failed"
        return 1
    fi
    # Word splitting of pkg-config's output is what a Makefile does with it.
    # LD_LIBRARY_PATH, as for anything installed outside the linker's paths:
    # ld looks there, not in -L, for the libraries the shared ones need.
    # shellcheck disable=SC2086
    if ! LD_LIBRARY_PATH=$tree$INSTALL_LIBDIR \
        "${compile[@]}" $cflags "$here/$source" -o "$out" $libs 2>"$out.log"; then
        cat "$out.log" >&2
        fail "$source does not build ($kind) with: ${compile[*]} $cflags ... $libs"
        return 1
    fi
}

# run_consumer TREE KIND PROGRAM ARGS...: run it, show its output, check
# where its secretmem libraries came from.
run_consumer() {
    local tree=$1 kind=$2 program=$3
    shift 3
    local needed
    needed=$(readelf -d "$program" | grep -o 'libsecretmem[^]]*' || true)
    if [[ $kind == static && -n $needed ]]; then
        fail "$(basename "$program") (static) still needs: $needed"
    fi
    if [[ $kind == dynamic ]]; then
        [[ -n $needed ]] || fail "$(basename "$program") (dynamic) needs no secretmem library"
        local outside
        outside=$(LD_LIBRARY_PATH=$tree$INSTALL_LIBDIR ldd "$program" |
            grep 'libsecretmem' | grep -vF "=> $tree$INSTALL_LIBDIR/" || true)
        [[ -z $outside ]] || fail "$(basename "$program") loads secretmem libraries from outside the tree: $outside"
    fi
    local output status=0
    output=$(env -u SECRETMEM_ALLOW_DEGRADED LD_LIBRARY_PATH="$tree$INSTALL_LIBDIR" \
        "$program" "$@" 2>&1) || status=$?
    printf '%s\n' "$output"
    [[ $status -eq 0 ]] || fail "$(basename "$program") ($kind) exited $status"
    last_output=$output
}

# consumers TREE KIND: build and run the three against TREE.
consumers() {
    local tree=$1 kind=$2 out=$work/$2
    mkdir -p "$out"
    echo "--- consumers linked $kind"
    local provider_args=()
    if build "$tree" "$kind" "$out/c-consumer" c_consumer.c secretmem-shim secretmem-alloc; then
        run_consumer "$tree" "$kind" "$out/c-consumer"
        [[ -n $c_consumer ]] || c_consumer=$out/c-consumer
        if grep -q 'no backend keeps memory' <<<"$last_output"; then
            no_secret_backend=yes
            provider_args=(no-secret-backend)
        fi
    fi
    if build "$tree" "$kind" "$out/sdk-consumer" sdk_consumer.cpp secretmem-sdk; then
        run_consumer "$tree" "$kind" "$out/sdk-consumer"
    fi
    if build "$tree" "$kind" "$out/provider-consumer" provider_consumer.c secretmem-provider; then
        run_consumer "$tree" "$kind" "$out/provider-consumer" "${provider_args[@]}"
    fi
}

last_output=
no_secret_backend=no
c_consumer=
if [[ $shared == yes ]]; then
    consumers "$dest" dynamic
fi
if [[ $static == yes ]]; then
    # A tree with the static libraries only, as a static-only package would
    # install: the linker then takes the archives, and glibc stays shared.
    static_tree=$work/static-dest
    cp -a "$dest" "$static_tree"
    rm -f "$static_tree$INSTALL_LIBDIR"/libsecretmem-{shim,sdk,alloc,provider}.so*
    consumers "$static_tree" static
fi

# --- The installed tools at work.
echo "--- the installed secretmem, preload library and provider module"
export LD_LIBRARY_PATH=$lib
if ! info=$("$dest$INSTALL_BINDIR/secretmem" info 2>&1); then
    printf '%s\n' "$info" >&2
    fail "the installed secretmem info failed"
fi

# secretmem run finds the preload library from where the tool is installed.
# shellcheck disable=SC2016 # expanded by the child shell
if ! run_preload=$("$dest$INSTALL_BINDIR/secretmem" run -- sh -c 'printf %s "$LD_PRELOAD"' \
    2>"$work/run.log"); then
    cat "$work/run.log" >&2
    fail "the installed secretmem run failed"
elif [[ :$run_preload: != *:$lib/libsecretmem-preload.so:* ]]; then
    fail "the installed secretmem run preloads '$run_preload', not the installed $lib/libsecretmem-preload.so"
fi

# The C consumer again, under the installed preload with every malloc
# secret: it must still pass, and the library must report at exit (GNU
# tools close stderr before, so one of them would not do).
preload=$lib/libsecretmem-preload.so
if [[ -x ${c_consumer:-} ]]; then
    if ! SECRETMEM_PRELOAD=all SECRETMEM_PRELOAD_REPORT=1 LD_PRELOAD=$preload \
        "$c_consumer" >"$work/preload.log" 2>&1; then
        cat "$work/preload.log" >&2
        fail "the C consumer fails under the installed preload library"
    fi
    report=$(grep '^secretmem-preload: mode=all' "$work/preload.log" || true)
    echo "${report:-no preload report}"
    if [[ -z $report ]]; then
        fail "the installed preload library was not loaded, or did not report at exit"
    elif [[ $no_secret_backend == no && $report == *backend=none* ]]; then
        fail "under the installed preload the secret heap never started"
    fi
else
    fail "no C consumer was built to run under the installed preload"
fi

# The module, loaded by OpenSSL from the installed modules directory.
if ! providers=$(openssl list -providers -verbose -provider-path "$dest$INSTALL_MODULESDIR" \
    -provider secretmem -provider default 2>&1); then
    printf '%s\n' "$providers" >&2
    fail "openssl cannot load the installed provider module"
elif ! grep -A4 '^  secretmem$' <<<"$providers" | grep -q 'status: active'; then
    printf '%s\n' "$providers" >&2
    fail "the installed provider module is not active in openssl"
fi
unset LD_LIBRARY_PATH

if [[ $failures -ne 0 ]]; then
    echo "install-consumers: $failures check(s) failed" >&2
    exit 1
fi
echo "install-consumers: all checks passed"
