#!/usr/bin/env bash
# What the series costs a kernel that never uses secret memory: the stock and
# the patched kernel booted in turn (same VM, same workload, ROUNDS boots
# each, alternating so that the host's load falls on both alike), and in each
# page-churn (ordinary anonymous pages faulted in and freed), MemTotal and
# the page_ext the kernel allocated.  Prints each run and the ratio of the
# medians, patched / stock.
#
#   bench/run-idle-cost.sh [ROUNDS]      (default 3; needs `make kernel`,
#                                         which builds both kernels)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${1:-3}
churn=$repo/build/meson/bench/page-churn
# shellcheck source=kernel/scripts/lib.sh
. "$repo/kernel/scripts/lib.sh"
for k in patched stock; do
    [[ -f $(bzimage_of "$k") ]] || {
        echo "skip: no $k kernel; build both with 'make kernel'" >&2
        exit 77
    }
done
[[ -x $churn ]] || {
    echo "skip: $churn is not built" >&2
    exit 77
}
guest="echo churn=\$($churn 64 15); grep MemTotal /proc/meminfo; dmesg | grep -o 'allocated [0-9]* bytes of page_ext' || echo 'no page_ext'"
declare -A times
for ((i = 1; i <= rounds; i++)); do
    for k in stock patched; do
        out=$(VM_KERNEL=$k "$repo/kernel/scripts/vm-run.sh" "$guest" 2>&1)
        ns=$(sed -n 's/^churn=\([0-9.]*\).*/\1/p' <<<"$out")
        [[ -n $ns ]] || {
            echo "run $i on $k failed:" >&2
            echo "$out" >&2
            exit 1
        }
        times[$k]+="$ns "
        echo "run $i $k: $ns ns/page, $(grep -o 'MemTotal:.*' <<<"$out" | tr -s ' '), $(grep -o 'allocated [0-9]* bytes of page_ext\|no page_ext' <<<"$out")"
    done
done
python3 - "${times[stock]}" "${times[patched]}" <<'PY'
import statistics, sys
stock = [float(x) for x in sys.argv[1].split()]
patched = [float(x) for x in sys.argv[2].split()]
s, p = statistics.median(stock), statistics.median(patched)
spread = max(max(stock) / min(stock), max(patched) / min(patched)) - 1
print(f"median ns/page: stock {s:.1f}, patched {p:.1f}; patched/stock = {p / s:.3f} "
      f"(run-to-run spread on one kernel up to {spread * 100:.1f}%)")
PY
