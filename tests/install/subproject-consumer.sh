#!/usr/bin/env bash
# A parent Meson project that uses secretmem as a subproject, as a project
# vendoring it would: subprojects/secretmem is the source tree, the
# dependencies are found by the names the installed .pc files have, with the
# subproject as fallback (forced, so an installed copy cannot stand in), and
# the subproject is built static-only, the common choice when vendoring.
#
#   subproject-consumer.sh SOURCE_ROOT WORK_DIR
#
# Fails unless the parent configures, the subproject brings none of its
# tests, benchmarks or examples along, and the consumers (those of
# install-consumers.sh, beside this script) and the subproject's secretmem
# tool build and pass as the parent's own tests.
set -euo pipefail

source_root=${1:?usage: subproject-consumer.sh SOURCE_ROOT WORK_DIR}
work=${2:?usage: subproject-consumer.sh SOURCE_ROOT WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)

# The build dir is kept between runs, and nothing rewritten that did not
# change: ninja then reconfigures only when a meson.build file changed, and
# rebuilds only what did.
parent=$work/project
mkdir -p "$parent/subprojects"
ln -sfn "$source_root" "$parent/subprojects/secretmem"
cp -p "$here/c_consumer.c" "$here/sdk_consumer.cpp" "$parent/"
cat >"$work/meson.build.new" <<'EOF'
project('secretmem-parent', ['c', 'cpp'],
  default_options: ['c_std=c11', 'cpp_std=c++20', 'warning_level=3', 'werror=true'])

secretmem_options = ['default_library=static']
shim = dependency('secretmem-shim', fallback: 'secretmem', default_options: secretmem_options)
sdk = dependency('secretmem-sdk', fallback: 'secretmem')
alloc = dependency('secretmem-alloc', fallback: 'secretmem')
# Found, not built here: the provider's build is install-consumers' to check.
dependency('secretmem-provider', fallback: 'secretmem')

test('c-consumer', executable('c-consumer', 'c_consumer.c', dependencies: [shim, alloc]))
test('sdk-consumer', executable('sdk-consumer', 'sdk_consumer.cpp', dependencies: sdk))
test('secretmem-info', find_program('secretmem'), args: ['info'])
EOF
if cmp -s "$work/meson.build.new" "$parent/meson.build"; then
    rm "$work/meson.build.new"
else
    mv "$work/meson.build.new" "$parent/meson.build"
fi

build=$work/build
if [[ ! -f $build/build.ninja ]]; then
    rm -rf "$build"
    if ! meson setup --wrap-mode=forcefallback "$build" "$parent" >"$work/setup.log" 2>&1; then
        cat "$work/setup.log" >&2
        echo "subproject-consumer: the parent project does not configure (log above)" >&2
        exit 1
    fi
fi
# Only what the parent's tests need: not the preload library or the module.
targets=(c-consumer sdk-consumer subprojects/secretmem/cli/secretmem)
if ! ninja -C "$build" "${targets[@]}" >"$work/build.log" 2>&1; then
    tail -n 50 "$work/build.log" >&2
    echo "subproject-consumer: the parent project does not build (log: $work/build.log)" >&2
    exit 1
fi

# The subproject must configure none of its tests, benchmarks or examples.
tests=$(meson introspect --tests "$build" | python3 -c '
import json, sys
print("\n".join(sorted(t["name"] for t in json.load(sys.stdin))))')
if [[ $tests != $'c-consumer\nsdk-consumer\nsecretmem-info' ]]; then
    printf 'tests configured:\n%s\n' "$tests" >&2
    echo "subproject-consumer: the parent sees tests that are not its own (meson.is_subproject() in secretmem's meson.build)" >&2
    exit 1
fi
extras=$(meson introspect --targets "$build" | python3 -c '
import json, sys
unwanted = ("tests/", "bench/", "examples/", "fuzz/")
print(" ".join(t["name"] for t in json.load(sys.stdin)
               if any("/subprojects/secretmem/" + u in t["defined_in"] for u in unwanted)))')
if [[ -n $extras ]]; then
    echo "subproject-consumer: the subproject defines targets a parent does not need: $extras" >&2
    exit 1
fi

env -u SECRETMEM_ALLOW_DEGRADED meson test -C "$build" --no-rebuild --verbose
