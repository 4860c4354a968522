"""What the Python guest halves of the VM tests share (imported from the
script's own directory): secret memory, /proc readings, and the ok/FAIL
lines with the exit status they add up to."""
import ctypes
import mmap
import sys

MAP_SECRET = 0x0A  # the mapping type; mmap() adds MAP_ANONYMOUS for fd -1
PAGE = 4096
_failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        _failures.append(what)


def finish():
    """Exit 1 if any check failed, 0 otherwise."""
    print(f"{len(_failures)} failure(s)")
    sys.exit(1 if _failures else 0)


def address_of(m):
    return ctypes.addressof(ctypes.c_char.from_buffer(m))


def secret_map(size, byte=0x5A):
    """size bytes of MAP_SECRET memory, each page faulted in with byte."""
    m = mmap.mmap(-1, size, flags=MAP_SECRET)
    for off in range(0, size, PAGE):
        m[off] = byte
    return m


def meminfo(field):
    """A /proc/meminfo field in kB, or -1 when the kernel has no such field."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1
