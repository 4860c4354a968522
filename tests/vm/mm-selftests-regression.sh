#!/usr/bin/env bash
# No regression: the kernel's own mm selftests give the same results on the
# patched kernel as on the stock one.  The same binaries (built from the
# patched tree) run in a VM on each kernel; the per-test results and kselftest
# totals must match line for line.  Both runs are printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$repo/build/kernel
for need in "$kdir/obj/arch/x86/boot/bzImage" "$kdir/stock/obj/arch/x86/boot/bzImage" \
    "$kdir/selftests/mm"; do
    if [[ ! -e $need ]]; then
        echo "skip: $need is missing; build with 'make kernel kernel-stock'" >&2
        exit 77
    fi
done
cd "$repo"

# The results of one kernel, without timings: "PASS memfd_secret pass:3 fail:0 ...".
results() {
    grep -E '^(PASS|SKIP|FAIL)' "$1" | sed -E 's/^(PASS|SKIP|FAIL[^ ]*( \([^)]*\))?) +([^ ]+) +[0-9]+s +/\1 \3 /'
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for kernel in stock patched; do
    echo "== mm selftests on the $kernel kernel"
    VM_KERNEL=$kernel VM_MEM=4G kernel/scripts/vm-run.sh kernel/scripts/run-mm-selftests.sh |
        tee "$out/$kernel.log" || true
done
if ! diff -u <(results "$out/stock.log") <(results "$out/patched.log"); then
    echo "REGRESSION: the patched kernel's results differ from the stock kernel's (diff above)"
    status=1
elif [[ -z $(results "$out/patched.log") ]]; then
    echo "no selftest results were produced"
    status=1
else
    echo "no regression: $(results "$out/patched.log" | wc -l) mm selftests give the same results on both kernels"
fi
exit $status
