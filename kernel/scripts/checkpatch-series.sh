#!/usr/bin/env bash
# checkpatch.pl --strict on every patch of the series: no errors, warnings or
# checks allowed.  Paths are absolute on purpose: given a repository-relative
# path to a file git tracks, checkpatch checks it as a source file, not as a
# patch, and reports every context line.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

checkpatch="$KSRC/scripts/checkpatch.pl"
if [[ ! -f $checkpatch ]]; then
    echo "skip: no kernel source at $KSRC: run 'make kernel' first" >&2
    exit 77 # meson's skip
fi
status=0
while read -r patch; do
    [[ -n $patch ]] || continue
    result=$(perl "$checkpatch" --strict --no-tree "$PATCH_DIR/$patch" 2>&1 | grep -E '^total:' || true)
    printf '%-72s %s\n' "$patch" "$result"
    [[ $result == "total: 0 errors, 0 warnings, 0 checks,"* ]] || status=1
done <"$PATCH_DIR/series"
exit $status
