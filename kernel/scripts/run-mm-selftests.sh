#!/usr/bin/env bash
# Run the kernel's mm selftests INSIDE the test VM and summarize them:
#
#   kernel/scripts/vm-run.sh 'kernel/scripts/run-mm-selftests.sh'            # default set
#   kernel/scripts/vm-run.sh 'kernel/scripts/run-mm-selftests.sh cow mremap_test'
#
# One line per test (PASS / SKIP / FAIL with its exit status), full output in
# build/kernel/selftests/results/<VM_KERNEL>-<kernel release>-<time>/<test>.log, then
# a summary. Exit 1 if any test failed. Exit status 4 is kselftest's "skip".
# The binaries come from build-selftests.sh (the patched tree's selftests), so
# the same binaries run on the stock and the patched kernel.
set -euo pipefail
# shellcheck source=kernel/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Tests that run under TCG in reasonable time on this config (about 2 min in
# all). Left out: pagemap_ioctl (4 min), uffd-unit-tests (over 5 min under
# TCG); name them to run them. mremap_test's 2 GB cases need VM_MEM=4G.
default_tests=(memfd_secret mlock2-tests mlock-random-test mremap_test mremap_dontunmap cow
	gup_longterm madv_populate map_fixed_noreplace map_populate mkdirty mseal_test seal_elf
	soft-dirty ksm_functional_tests droppable mdwe_test hugetlb-madvise)
per_test_timeout="${SELFTEST_TIMEOUT:-300}"

bin="$KDIR/selftests/mm"
[[ -d "$bin" ]] || die "no selftests in $bin: run kernel/scripts/build-selftests.sh on the host first"
[[ -r /proc/sys/kernel/osrelease && "$(id -u)" == 0 ]] || warn "not root: run me in the VM through vm-run.sh"

tests=("$@")
((${#tests[@]})) || tests=("${default_tests[@]}")
vmk="${VM_KERNEL:-unknown}"
results="$KDIR/selftests/results/${vmk##*/}-$(uname -r)-$(date +%H%M%S)"
mkdir -p "$results"

# Some tests want huge pages available; none are reserved at boot.
echo 64 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
# The same address layout on every run and both kernels: under ASLR
# mremap_test's preamble mapping (MAP_FIXED_NOREPLACE at an address it
# computes) now and then lands on another mapping and fails with EEXIST,
# which would make the stock/patched comparison flaky.  Guest-only setting.
echo 0 >/proc/sys/kernel/randomize_va_space

pass=() skip=() fail=()
for t in "${tests[@]}"; do
	# Each test runs in its own directory on tmpfs: some create files in their
	# cwd, and 9p (the build dir) lacks features they need (ftruncate on
	# unlinked files, for gup_longterm).
	work=$(mktemp -d "/tmp/mm-$t.XXXXXX")
	cd "$work"
	if [[ ! -x "$bin/$t" ]]; then
		printf 'FAIL  %-24s (not built)\n' "$t"
		fail+=("$t")
		continue
	fi
	start=$SECONDS
	set +e
	timeout -k 5 "$per_test_timeout" "$bin/$t" >"$results/$t.log" 2>&1
	rc=$?
	set -e
	case $rc in
	0) res=PASS pass+=("$t") ;;
	4) res=SKIP skip+=("$t") ;;
	124) res="FAIL (timeout)" fail+=("$t") ;;
	*) res="FAIL (exit $rc)" fail+=("$t") ;;
	esac
	# kselftest TAP totals, when the test prints them.
	totals=$(grep -E '^# Totals:' "$results/$t.log" | tail -n 1 | sed 's/^# Totals: //' || true)
	printf '%-15s %-24s %4ss  %s\n' "$res" "$t" "$((SECONDS - start))" "$totals"
	cd /
	rm -rf "$work"
done

echo "mm selftests on $(uname -r): ${#pass[@]} passed, ${#skip[@]} skipped, ${#fail[@]} failed${fail:+: ${fail[*]}}"
echo "logs: $results"
((${#fail[@]} == 0))
