#!/usr/bin/env bash
# make check, once its prerequisites are built: every meson suite (host, vm,
# lint), the host suites again under ASan + UBSan, and a smoke run of each
# fuzzer.  Every stage runs even when one before it failed.  The output ends
# with what failed, by name: CI keeps only the end of a long log.
#   check.sh MESON_BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
meson=${1:-build/meson}
failed=()

asan_log=build/asan/meson-logs/testlog-asan.json
started=$(date +%s)

meson test -C "$meson" --print-errorlogs --num-processes 2
summary=$(scripts/test-summary.py "$meson") || failed+=("the suites ($meson)")
echo "$summary"
scripts/check-sanitized.sh asan || failed+=("ASan + UBSan (build/asan)")
scripts/fuzz.sh smoke || failed+=("fuzz smoke (build/fuzz/logs)")

echo
echo "make check:"
# shellcheck disable=SC2001 # indenting every line, as for ASan's below
sed 's/^/  /' <<<"$summary"
# Only a log this run wrote: an earlier run's would report what is not so.
if [[ -f $asan_log && $(stat -c %Y "$asan_log") -ge $started ]]; then
    scripts/test-summary.py build/asan asan | sed 's/^secretmem:/under ASan + UBSan:/; s/^/  /'
fi
if ((${#failed[@]})); then
    printf '  FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "  every stage passed"
