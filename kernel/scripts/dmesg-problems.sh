#!/usr/bin/env bash
# Print what the kernel logged that a test run must fail on: warnings, BUGs,
# oopses, KASAN/UBSAN reports, lockdep splats, stalls, list corruption and
# bad pages, each with the 20 lines after it.  Exit 0 if there are any, 1 if
# the log is clean (as grep does).
#
#   kernel/scripts/dmesg-problems.sh [--allow-oom] [--allow-offline] DMESG_FILE
#
# --allow-oom: a run that provokes the OOM killer on purpose (tests/stress).
# The OOM killer's own report, from "invoked oom-killer" to "Killed
# process", prints a stack trace: that trace is not a problem, but a warning
# or report inside the block still is.
#
# --allow-offline: a run that offlines memory on purpose (tests/vm/
# memory-offline.sh).  Offlining dumps each page that stops it ("page
# dumped because: unmovable page" or "migration failure"): those dumps are
# its report, not a bad page.  Any other dump still is.
set -euo pipefail

allow_oom=0
allow_offline=0
while [[ "${1:-}" == --allow-* ]]; do
	case $1 in
	--allow-oom) allow_oom=1 ;;
	--allow-offline) allow_offline=1 ;;
	*) break ;;
	esac
	shift
done
(($# == 1)) || {
	echo "usage: $0 [--allow-oom] [--allow-offline] DMESG_FILE" >&2
	exit 2
}

# One extended regular expression a line, no comments: a guest that has
# lost the host's root (tests/vm/hibernation-guest.sh) greps with the file.
severe=$(paste -sd'|' "$(dirname "${BASH_SOURCE[0]}")/dmesg-severe.patterns")
pattern="$severe|Call Trace"

awk -v allow="$allow_oom" -v offline="$allow_offline" -v severe="$severe" '
	allow && /invoked oom-killer:/ { in_oom = 1 }
	in_oom && $0 !~ severe { if (/Killed process/) in_oom = 0; next }
	# A page dump: held back until its reason is known.
	offline && /^page: refcount:/ { dump = $0 "\n"; next }
	dump != "" {
		if (/page dumped because: (unmovable page|migration failure)$/) { dump = ""; next }
		dump = dump $0 "\n"
		if (/page dumped because:/) { printf "%s", dump; dump = "" }
		next
	}
	{ print }
	END { printf "%s", dump }
' "$1" | grep -E -A 20 "$pattern"
