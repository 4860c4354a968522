#!/usr/bin/env bash
# The userspace suites once more under sanitizers, each in its own build
# directory:
#   check-sanitized.sh asan   AddressSanitizer and UndefinedBehaviorSanitizer
#                             (LeakSanitizer on), in build/asan
#   check-sanitized.sh tsan   ThreadSanitizer, in build/tsan
# Configures the directory when it is missing or its options changed, builds
# it, runs `meson test --setup asan|tsan` (tests/meson.build: the host tests
# with the sanitizer's options, without the vm and lint suites nor the tests
# marked no-sanitizer or no-tsan there, each with its reason) and prints the
# summary line as make check does.  The exit status is meson's or the
# summary's.
set -euo pipefail

kind=${1:-}
# -fno-omit-frame-pointer: whole stacks in the reports at little cost.
case $kind in
asan)
    # Any UBSan report stops the program, so that the test fails.
    flags='-fno-omit-frame-pointer -fno-sanitize-recover=all'
    options=('-Db_sanitize=address,undefined' -Db_lundef=false)
    ;;
tsan)
    flags='-fno-omit-frame-pointer'
    options=(-Db_sanitize=thread -Db_lundef=false)
    ;;
*)
    echo "usage: $0 asan|tsan" >&2
    exit 2
    ;;
esac
options+=("-Dc_args=$flags" "-Dcpp_args=$flags")

cd "$(dirname "$0")/.."
build=build/$kind
jobs=2

# Whether $build's options are those wanted.  String options are compared as
# meson shows them (a list of arguments for c_args and cpp_args).
configured_as_wanted() {
    meson introspect --buildoptions "$build" | python3 -c '
import json, shlex, sys
have = {o["name"]: o["value"] for o in json.load(sys.stdin)}
for option in sys.argv[1:]:
    name, value = option[2:].split("=", 1)
    now = have.get(name)
    if isinstance(now, list):
        now = shlex.join(now)
    elif isinstance(now, bool):
        now = str(now).lower()
    if now != value:
        sys.exit(1)
' "${options[@]}"
}

# `meson configure`, not `meson setup --reconfigure`: meson 1.0 ignores a
# changed c_args there.
if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "${options[@]}"
elif ! configured_as_wanted; then
    meson configure "$build" "${options[@]}"
fi
meson compile -C "$build" -j "$jobs"

status=0
meson test -C "$build" --setup "$kind" --print-errorlogs --num-processes "$jobs" || status=$?
scripts/test-summary.py "$build" "$kind" || status=1
exit $status
