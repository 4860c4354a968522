#!/usr/bin/env bash
# Write build/kernel/obj/.config = tinyconfig + kernel/config/secretmem.config
# (+ kernel/config/debug.config for KERNEL_FLAVOR=debug), then check that
# every option the fragments ask for is really set.
#
# Reconfigures only when the fragment or the source tree (series) changed. An
# unchanged result keeps the old .config's mtime, so kbuild does not re-sync.
# Options the final .config lacks are a warning, not a failure: options the
# series adds (SECRET_MAP ...) are absent from an unpatched tree.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for fragment in "${CONFIG_FRAGMENTS[@]}"; do
	[[ -f "$fragment" ]] || die "config fragment $fragment is missing"
done
[[ -f "$KSERIES_STAMP" ]] || die "source tree not prepared: run kernel/scripts/prepare-source.sh"
mkdir -p "$KOBJ" "$KLOGS"

config="$KOBJ/.config"
stamp_file="$KSTATE/config.stamp"
stamp=$( { cat "${CONFIG_FRAGMENTS[@]}" "$KSERIES_STAMP"; echo "$KCC"; } | sha256sum | cut -d' ' -f1)

# Print fragment lines (CONFIG_X=v or "# CONFIG_X is not set") missing from
# .config. A later fragment overrides an earlier one: only its line counts.
missing_options() {
	local line opt i seen=" "
	for ((i = ${#CONFIG_FRAGMENTS[@]} - 1; i >= 0; i--)); do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) opt=${line%%=*} ;;
			"# CONFIG_"*" is not set")
				opt=${line#"# "}
				opt=${opt%% *}
				;;
			*) continue ;;
			esac
			[[ "$seen" == *" $opt "* ]] && continue
			seen+="$opt "
			case "$line" in
			# The stock kernel lacks the series' options by definition.
			CONFIG_*SECRET_MAP=*) [[ "$KERNEL_FLAVOR" == stock ]] || grep -qxF -- "$line" "$config" || printf '%s\n' "$line" ;;
			CONFIG_*=*) grep -qxF -- "$line" "$config" || printf '%s\n' "$line" ;;
			*) grep -q "^$opt=" "$config" && printf '%s\n' "$line" ;;
			esac
		done <"${CONFIG_FRAGMENTS[i]}"
	done
	return 0
}

if [[ -f "$config" && "$(cat "$stamp_file" 2>/dev/null)" == "$stamp" ]]; then
	log "configuration up to date"
else
	log "configuring the $KERNEL_FLAVOR kernel: tinyconfig + ${CONFIG_FRAGMENTS[*]#"$REPO/"}"
	[[ -f "$config" ]] && cp -p "$config" "$KSTATE/config.old"
	{
		"${KMAKE[@]}" tinyconfig &&
			"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$config" "${CONFIG_FRAGMENTS[@]}" &&
			"${KMAKE[@]}" olddefconfig
	} >"$KLOGS/config.log" 2>&1 || {
		tail -n 30 "$KLOGS/config.log" >&2
		die "kernel configuration failed (full log: $KLOGS/config.log)"
	}
	if [[ -f "$KSTATE/config.old" ]] && cmp -s "$KSTATE/config.old" "$config"; then
		touch -r "$KSTATE/config.old" "$config"
	fi
	rm -f "$KSTATE/config.old"
	echo "$stamp" >"$stamp_file"
fi

mapfile -t missing < <(missing_options)
if ((${#missing[@]})); then
	warn "${#missing[@]} option(s) asked for in ${CONFIG_FRAGMENTS[*]#"$REPO/"} are not in the final .config"
	warn "(unknown to this tree, or a dependency is missing; see 'make menuconfig' in $KOBJ):"
	printf '    %s\n' "${missing[@]}" >&2
else
	log "all options from ${CONFIG_FRAGMENTS[*]#"$REPO/"} are set"
fi
