#!/usr/bin/env python3
"""Inside the VM (vm-memory-failure): poison injected into secret memory,
through hwpoison's corrupt-pfn (MADV_HWPOISON cannot reach it: it takes the
page with get_user_pages(), which secret memory refuses).

1. A secret page in use: its owner dies of SIGBUS when it touches it, the
   kernel lives on, and the page's chunk is not held for ever: once
   drained, the pool is empty (the 511 other pages went back to the page
   allocator).
2. A free page of the pool: it is never handed out again, however much
   secret memory is taken after.
"""
import os
import signal
import struct
import time

from guest_checks import PAGE, address_of, check, finish, meminfo, secret_map


def pfns(m, size):
    """PFN of each present page of the mapping (pagemap, as root)."""
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(address_of(m) // PAGE * 8)
        entries = struct.unpack(f"{size // PAGE}Q", pagemap.read(size // PAGE * 8))
    return [e & ((1 << 55) - 1) for e in entries if e & (1 << 63)]


def drain():
    with open("/proc/sys/vm/secret_map_pool_drain", "w") as f:
        f.write("1")


def poison(pfn):
    """memory_failure() on the page; it may answer EBUSY for a page it
    cannot handle, and still mark it poisoned."""
    fd = os.open("/sys/kernel/debug/hwpoison/corrupt-pfn", os.O_WRONLY)
    try:
        os.write(fd, str(pfn).encode())
    except OSError as error:
        print(f"     corrupt-pfn {pfn:#x}: {error.strerror}", flush=True)
    finally:
        os.close(fd)


def secret_page():
    m = secret_map(PAGE)
    return m, pfns(m, PAGE)[0]


# 1. A page in use is poisoned; its owner touches it after.
to_parent, from_child = os.pipe()
to_child, from_parent = os.pipe()
child = os.fork()
if child == 0:
    m, pfn = secret_page()
    os.write(from_child, struct.pack("Q", pfn))
    os.read(to_child, 1)
    print(f"     child: read after the poison: {m[0]}", flush=True)
    os._exit(0)
in_use_pfn = struct.unpack("Q", os.read(to_parent, 8))[0]
poison(in_use_pfn)
os.write(from_parent, b"x")
status = os.waitpid(child, 0)[1]
check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGBUS,
      f"the owner of a poisoned secret page (pfn {in_use_pfn:#x}) dies of SIGBUS (status {status:#x})")
check(meminfo("HardwareCorrupted") >= 4, f"HardwareCorrupted: {meminfo('HardwareCorrupted')} kB")
check(meminfo("SecretMap") == 0,
      f"a poisoned page is secret memory no more: SecretMap {meminfo('SecretMap')} kB")
drain()
check(meminfo("SecretPool") == 0,
      f"its chunk goes back without it: SecretPool {meminfo('SecretPool')} kB after a drain")

# 2. A free page of the pool is poisoned.
m, free_pfn = secret_page()
m.close()
time.sleep(0.5)  # zeroed and back in its chunk
poison(free_pfn)
time.sleep(0.5)
size = 64 << 20
big = secret_map(size, byte=1)
handed_out = free_pfn in pfns(big, size)
check(not handed_out, f"a poisoned free page of the pool (pfn {free_pfn:#x}) is never handed out again")
check(in_use_pfn not in pfns(big, size), "nor the poisoned page that was in use")
big.close()
drain()
check(meminfo("SecretPool") == 0, f"the pool drains around it: SecretPool {meminfo('SecretPool')} kB")

finish()
