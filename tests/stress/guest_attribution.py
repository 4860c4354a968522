"""In the VM on the debug kernel (page_owner=on, allocation profiling on):
secret pages are charged to the allocation that took them, like any other
page, whether they come from a new chunk or a second time from the pool
after a first use; once freed they are charged to no one.

page_owner counts the pages of each allocating stack that are still in use
(/sys/kernel/debug/page_owner_stacks/show_stacks); allocation profiling
counts the bytes of each allocation site (/proc/allocinfo).  A page the pool
hands out without the allocation hooks is missing from both, and its free
then ends an owner and a tag it never had: page_owner drops a stack's count
twice, and profiling's debugging warns (vm-run.sh fails the run on that)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
from guest_checks import PAGE, check, finish, meminfo, secret_map  # noqa: E402

SIZE = 8 << 20
PAGES = SIZE // PAGE
STACKS = "/sys/kernel/debug/page_owner_stacks/show_stacks"
DRAIN = "/proc/sys/vm/secret_map_pool_drain"
# The allocating function of a pool page, in its stack and its tag.
POOL_ALLOC = "secret_pool_alloc"
TAG_SITE = "func:secret_folio_from_pool"


def settle(when):
    """Until every freed secret page is back in the pool.  A page unmapped
    on one CPU is freed only when other CPUs' LRU and mlock batches let it
    go: the drain knob drains them everywhere."""
    for _ in range(100):
        with open(DRAIN, "w") as f:
            f.write("1")
        if meminfo("SecretMap") == 0:
            break
        time.sleep(0.1)
    check(meminfo("SecretMap") == 0, f"{when}: no secret page left in use")


def owner_pages():
    """In-use pages of the stacks whose allocating frame is the pool's (the
    slab and page-table pages the pool allocates for itself are others')."""
    with open(STACKS) as f:
        blocks = f.read().split("\n\n")
    total = 0
    for block in blocks:
        if block.lstrip().startswith(POOL_ALLOC):
            for line in block.splitlines():
                if line.startswith("nr_base_pages:"):
                    total += int(line.split()[1])
    return total


def tagged_bytes():
    """Bytes in use charged to the pool's allocation site."""
    total = 0
    with open("/proc/allocinfo") as f:
        for line in f:
            if TAG_SITE in line:
                total += int(line.split()[0])
    return total


def main():
    for path in (STACKS, "/proc/allocinfo"):
        if not os.path.exists(path):
            check(False, f"{path} exists (page_owner=on and allocation profiling)")
            finish()
    settle("before")
    before_pages, before_bytes = owner_pages(), tagged_bytes()
    print(f"before: {before_pages} pages, {before_bytes} bytes charged to the pool's allocations")

    # First use: pages from new chunks, or from the pool the stress left.
    first = secret_map(SIZE)
    check(owner_pages() - before_pages >= PAGES,
          f"page_owner charges {PAGES} pages in use to {POOL_ALLOC} (first use)")
    first.close()
    settle("after the first use")

    # Second use: the pool hands out the pages the first use freed.
    second = secret_map(SIZE)
    pages, tagged = owner_pages() - before_pages, tagged_bytes() - before_bytes
    check(pages >= PAGES,
          f"page_owner charges {pages} pages in use to {POOL_ALLOC} (second use), "
          f"expected at least {PAGES}")
    check(tagged >= SIZE,
          f"allocation profiling charges {tagged} bytes to {TAG_SITE} (second use), "
          f"expected at least {SIZE}")
    second.close()
    settle("after the second use")
    pages, tagged = owner_pages() - before_pages, tagged_bytes() - before_bytes
    check(pages <= 0, f"after the free, {pages} pages still charged to {POOL_ALLOC}")
    check(tagged <= 0, f"after the free, {tagged} bytes still charged to {TAG_SITE}")
    finish()


main()
