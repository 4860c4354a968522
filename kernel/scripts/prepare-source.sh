#!/usr/bin/env bash
# Bring build/kernel/src to "pristine tarball + kernel/patches/series".
#
# The tarball is extracted once and committed (tag "pristine") into a git dir
# kept beside the tree. The series is applied to a scratch index, one commit
# per patch, and the tree is then moved to the result with `git reset --hard`,
# which rewrites only the files that differ from what is checked out. Files the
# old and new series agree on keep their mtimes, so kbuild rebuilds only what
# the series change really touched.
#
# KERNEL_FLAVOR=stock: build/kernel/stock/src is the tarball as it is (no git).
#
# Env: KERNEL_TARBALL (default /usr/src/linux-source-6.12.tar.xz),
#      KERNEL_DISCARD_LOCAL=1 to throw away hand edits made in build/kernel/src.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmd git tar xz sha256sum

tarball_id() { stat -c '%s %Y' "$KERNEL_TARBALL"; }

extract_tarball() {
	[[ -r "$KERNEL_TARBALL" ]] ||
		die "$KERNEL_TARBALL not found: run 'make deps' (apt-get install linux-source-6.12)"
	log "extracting $(basename "$KERNEL_TARBALL") into $KSRC (once, ~15 s)"
	rm -rf "$KSRC" "$KSTATE/extract.tmp" "$KSTATE/series.stamp" "$KSTATE/src.tarball"
	mkdir -p "$KSTATE/extract.tmp"
	tar -xf "$KERNEL_TARBALL" -C "$KSTATE/extract.tmp"
	local top
	top=$(find "$KSTATE/extract.tmp" -mindepth 1 -maxdepth 1 -type d)
	[[ $(wc -l <<<"$top") -eq 1 ]] || die "unexpected tarball layout in $KERNEL_TARBALL"
	mv "$top" "$KSRC"
	rmdir "$KSTATE/extract.tmp"
}

extract_pristine() {
	rm -rf "$KGITDIR"
	extract_tarball
	log "recording the pristine tree in git (once, ~30 s)"
	git init -q --bare "$KGITDIR"
	kgit config core.bare false
	kgit config user.name "secretmem build"
	kgit config user.email "build@secretmem.invalid"
	kgit config gc.auto 0
	# -f: Debian's tree ships .gitignore files that would hide sources.
	kgit -c core.looseCompression=1 add -f -A .
	kgit commit -q -m "pristine $(basename "$KERNEL_TARBALL")"
	kgit tag pristine
	tarball_id >"$KSTATE/src.tarball"
}

# Patch files listed in the series, in order (blank lines and # comments skipped).
series_patches() {
	[[ -f "$SERIES_FILE" ]] || return 0
	local line
	while IFS= read -r line || [[ -n "$line" ]]; do
		line="${line%%#*}"
		line="${line#"${line%%[![:space:]]*}"}"
		line="${line%"${line##*[![:space:]]}"}"
		[[ -n "$line" ]] || continue
		[[ -f "$PATCH_DIR/$line" ]] ||
			die "kernel/patches/series lists '$line' but kernel/patches/$line does not exist"
		printf '%s\n' "$line"
	done <"$SERIES_FILE"
}

# Identity of what the tree should be: pristine commit + names and contents of the patches.
series_stamp() {
	{
		kgit rev-parse pristine
		local p
		for p in "${patches[@]}"; do
			printf '%s ' "$p"
			sha256sum <"$PATCH_DIR/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

# Build the commit chain pristine + patches without touching the work tree.
commit_series() {
	local index="$KDIR/series.index" parent p tree info
	parent=$(kgit rev-parse pristine)
	rm -f "$index"
	GIT_INDEX_FILE="$index" kgit read-tree "$parent"
	for p in "${patches[@]}"; do
		if ! GIT_INDEX_FILE="$index" kgit apply --cached --whitespace=nowarn \
			"$PATCH_DIR/$p" 2>"$KLOGS/apply.err"; then
			sed 's/^/    /' "$KLOGS/apply.err" >&2
			rm -f "$index"
			die "patch kernel/patches/$p does not apply on pristine + the patches before it in the series"
		fi
		tree=$(GIT_INDEX_FILE="$index" kgit write-tree)
		# Keep the patch's author and message so `git log` in the tree reads like the series.
		info=$(kgit mailinfo "$KDIR/series.msg" /dev/null <"$PATCH_DIR/$p")
		local author email date subject
		author=$(sed -n 's/^Author: //p' <<<"$info")
		email=$(sed -n 's/^Email: //p' <<<"$info")
		date=$(sed -n 's/^Date: //p' <<<"$info")
		subject=$(sed -n 's/^Subject: //p' <<<"$info")
		parent=$(GIT_AUTHOR_NAME="${author:-unknown}" GIT_AUTHOR_EMAIL="${email:-unknown}" \
			GIT_AUTHOR_DATE="${date:-@0 +0000}" \
			kgit commit-tree "$tree" -p "$parent" \
			-m "${subject:-$p}" -F "$KDIR/series.msg" -m "Patch: kernel/patches/$p")
	done
	rm -f "$index" "$KDIR/series.msg"
	printf '%s\n' "$parent"
}

mkdir -p "$KSTATE" "$KLOGS"

if [[ "$KERNEL_FLAVOR" == stock ]]; then
	if [[ -d "$KSRC" && "$(cat "$KSTATE/src.tarball" 2>/dev/null)" == "$(tarball_id)" ]]; then
		log "stock source tree up to date"
	else
		extract_tarball
		tarball_id >"$KSTATE/src.tarball"
	fi
	echo "stock $(tarball_id)" >"$KSTATE/series.stamp"
	exit 0
fi

if [[ ! -d "$KGITDIR" ]] || ! kgit rev-parse -q --verify pristine >/dev/null; then
	extract_pristine
elif [[ "$(cat "$KSTATE/src.tarball" 2>/dev/null)" != "$(tarball_id)" ]]; then
	warn "$KERNEL_TARBALL changed since it was extracted: extracting it again (full rebuild)"
	extract_pristine
fi

mapfile -t patches < <(series_patches)
stamp=$(series_stamp)
head=$(kgit rev-parse HEAD)

# Hand edits in the tree (e.g. while developing a patch) are never thrown away silently.
if ! kgit diff --quiet HEAD --; then
	if [[ "$(cat "$KDIR/series.stamp" 2>/dev/null)" == "$stamp $head" ]]; then
		warn "build/kernel/src has local edits not in the series; building them as they are:"
		kgit diff --stat HEAD -- | sed 's/^/    /' >&2
		exit 0
	elif [[ "${KERNEL_DISCARD_LOCAL:-0}" != 1 ]]; then
		kgit diff --stat HEAD -- | sed 's/^/    /' >&2
		die "build/kernel/src has local edits and the series changed. Turn the edits into patches
    (git --git-dir=$KGITDIR --work-tree=$KSRC diff), or rerun with KERNEL_DISCARD_LOCAL=1 to drop them."
	fi
fi

if [[ "$(cat "$KDIR/series.stamp" 2>/dev/null)" == "$stamp $head" ]] && kgit diff --quiet HEAD --; then
	log "source tree up to date (${#patches[@]} patches applied)"
	exit 0
fi

if ((${#patches[@]} == 0)); then
	log "no patches in kernel/patches/series: building the unpatched kernel"
else
	log "applying ${#patches[@]} patches from kernel/patches/series"
fi
target=$(commit_series)
# Only files that differ between the checked-out tree and the target are written.
kgit reset -q --hard "$target"
echo "$stamp $target" >"$KDIR/series.stamp"
if ((${#patches[@]})); then
	kgit log --reverse --format='    %s' pristine..HEAD >&2
fi
log "source tree ready: $(kgit diff --shortstat pristine HEAD -- || true)"
