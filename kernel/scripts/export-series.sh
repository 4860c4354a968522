#!/usr/bin/env bash
# Write a kernel git tree's commits on top of its tag "pristine" back to
# kernel/patches: one format-patch file per commit and the series file, as
# prepare-source.sh applies them.  The way to change the series is to edit
# commits there (fixups, rebase) and export; hand-editing a patch file works
# too, but line counts and context are easy to get wrong.
#
#   git clone -q --shared build/kernel/src.git build/kernel/edit
#   ... commit, git rebase -i --autosquash pristine ...
#   kernel/scripts/export-series.sh build/kernel/edit
#
# The "Patch:" trailers prepare-source.sh adds are dropped.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tree="${1:-$KDIR/edit}"
git -C "$tree" rev-parse -q --verify pristine >/dev/null ||
	die "$tree has no tag 'pristine': clone it from $KGITDIR"
[[ -z $(git -C "$tree" status --porcelain --untracked-files=no) ]] ||
	die "$tree has uncommitted changes: commit them first"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git -C "$tree" -c core.abbrev=9 format-patch -q --numbered -o "$out" pristine..HEAD
# The trailer and the blank line before it; the first match is in the message.
perl -0pi -e 's/\n\nPatch: kernel\/patches\/[^\n]*\n/\n/' "$out"/*.patch
rm -f "$PATCH_DIR"/[0-9][0-9][0-9][0-9]-*.patch
cp "$out"/*.patch "$PATCH_DIR"/
(cd "$out" && ls -- *.patch) >"$PATCH_DIR/series"
log "exported $(wc -l <"$PATCH_DIR/series") patches to kernel/patches"
