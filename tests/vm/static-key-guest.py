#!/usr/bin/env python3
"""Inside the VM, on a kernel that has just booted (vm-static-key): the
page free path and GUP-fast test pages for a secret mark only once secret
memory exists (a static key, secret_map/in_use in debugfs), so a kernel
that never uses it costs nothing; calls that ask for secret memory and fail
leave the key off; the first secret memory turns it on for good."""
import ctypes
import mmap
import os
import time

from guest_checks import MAP_SECRET, PAGE, check, finish, secret_map

KEY = "/sys/kernel/debug/secret_map/in_use"
PROT_SECRET = 0x40
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MAP_FAILED = ctypes.c_void_p(-1).value


def key_on():
    with open(KEY) as f:
        return f.read().strip() == "1"


def key_settles_off():
    """The key goes off at most a second after the last failed call (it is
    rate-limited); wait a little longer."""
    for _ in range(30):
        if not key_on():
            return True
        time.sleep(0.1)
    return False


def failed_mmap():
    """A valid MAP_SECRET mmap() that fails later: no room for 1 PiB."""
    addr = libc.mmap(None, 1 << 50, mmap.PROT_READ | mmap.PROT_WRITE,
                     MAP_SECRET | mmap.MAP_ANONYMOUS, -1, 0)
    return addr == MAP_FAILED, ctypes.get_errno()


def failed_mprotect():
    """PROT_SECRET on a shared mapping: EINVAL."""
    m = mmap.mmap(-1, PAGE, flags=mmap.MAP_SHARED)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    rc = libc.mprotect(ctypes.c_void_p(addr), PAGE,
                       mmap.PROT_READ | mmap.PROT_WRITE | PROT_SECRET)
    return rc != 0, ctypes.get_errno()


def main():
    check(os.path.exists(KEY), f"{KEY} exists (a kernel with the series' debugfs probe)")
    check(not key_on(), "after boot, before any secret memory, the key is off")

    failed, err = failed_mmap()
    check(failed, f"mmap(MAP_SECRET) of 1 PiB fails (errno {err})")
    check(key_settles_off(), "after the failed mmap(MAP_SECRET), the key is off again")

    failed, err = failed_mprotect()
    check(failed, f"mprotect(PROT_SECRET) of a shared mapping fails (errno {err})")
    check(key_settles_off(), "after the failed mprotect(PROT_SECRET), the key is off again")

    m = secret_map(4 * PAGE)
    check(key_on(), "with secret memory in use, the key is on")
    m.close()
    time.sleep(1.5)
    check(key_on(), "once secret memory has existed, the key stays on (its pages may "
          "still be on their way back)")
    finish()


main()
