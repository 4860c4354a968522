#!/usr/bin/env bash
# Inside the VM (vm-pud-collapse, 4 GiB of memory: the direct map has 1 GiB
# pages): a chunk taken from a 1 GiB page splits it; once the chunk is back,
# the 1 GiB page must be whole again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
failed=0
check() { # check OK WHAT
    if [[ $1 == 1 ]]; then echo "ok   $2"; else echo "FAIL $2"; failed=1; fi
}

before=$(meminfo DirectMap1G)
splits=$(vmstat direct_map_level3_splits)
collapses=$(vmstat direct_map_level3_collapses)
echo "DirectMap1G before: $before kB"
check "$((before > 0))" "the direct map has 1 GiB pages (DirectMap1G $before kB)"

# 64 MiB of secret memory: 32 chunks, from wherever the page allocator has
# order-9 blocks, which on a fresh 4 GiB guest is memory mapped with 1 GiB
# pages.
python3 - "$here" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from guest_checks import secret_map
m = secret_map(64 << 20)
print(f"held 64 MiB of secret memory")
m.close()
PY
during_splits=$(( $(vmstat direct_map_level3_splits) - splits ))
check "$((during_splits > 0))" "taking chunks out split $during_splits 1 GiB page(s)"

# The drain gives every free chunk back and joins what they split.
echo 1 >/proc/sys/vm/secret_map_pool_drain
sleep 1
after=$(meminfo DirectMap1G)
joined=$(( $(vmstat direct_map_level3_collapses) - collapses ))
echo "DirectMap1G after: $after kB; 1 GiB joins: $joined"
check "$((joined >= during_splits))" "every split 1 GiB page was joined again ($joined of $during_splits)"
check "$((after == before))" "DirectMap1G is back to $before kB ($after kB)"
exit "$failed"
