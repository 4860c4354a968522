#!/usr/bin/env python3
"""Inside the VM (numa-memcg.sh, booted with numa=fake=2): secret memory
works bound to each NUMA node and inside a memory cgroup, and the cgroup's
limit holds for it: its pages are charged like any anonymous page, so a
cgroup cannot use secret memory to get past memory.max."""
import ctypes
import os

from guest_checks import address_of, check, finish, meminfo, secret_map

MPOL_BIND = 2
SYS_SET_MEMPOLICY = 238
CGROUP = "/sys/fs/cgroup"
libc = ctypes.CDLL(None, use_errno=True)


def unreadable_through_proc_mem(m):
    """The kernel refuses to read the mapping for anyone: EIO."""
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        try:
            os.pread(mem.fileno(), 1, address_of(m))
        except OSError:
            return True
    return False


def nodes_of(m):
    """Pages of the mapping per node, from numa_maps."""
    address = address_of(m)
    with open("/proc/self/numa_maps") as maps:
        for line in maps:
            fields = line.split()
            if int(fields[0], 16) == address:
                return " ".join(f for f in fields if f.startswith("N"))
    return "?"


def in_child(body):
    """Run body() in a forked child; its exit status says whether it held."""
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(0 if body() else 1)
        except Exception as error:  # noqa: BLE001 - any failure is a result
            print(f"     child: {error}", flush=True)
            os._exit(2)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def bound_to(node):
    mask = ctypes.c_ulong(1 << node)
    if libc.syscall(SYS_SET_MEMPOLICY, MPOL_BIND, ctypes.byref(mask), 64) != 0:
        raise OSError(ctypes.get_errno(), "set_mempolicy")
    m = secret_map(8 << 20)
    ok = all(m[off] == 0x5A for off in range(0, 8 << 20, 4096))
    print(f"     node {node}: 8 MiB secret, pages on {nodes_of(m)}", flush=True)
    return ok and unreadable_through_proc_mem(m)


nodes = sorted(int(d[4:]) for d in os.listdir("/sys/devices/system/node") if d.startswith("node"))
check(len(nodes) >= 2, f"two NUMA nodes (numa=fake=2): {nodes}")
for node in nodes:
    check(in_child(lambda: bound_to(node)) == 0, f"secret memory bound to node {node}")

# A memory cgroup limited to 64 MiB.
if not os.path.exists(f"{CGROUP}/cgroup.controllers"):
    os.system(f"mount -t cgroup2 none {CGROUP}")
with open(f"{CGROUP}/cgroup.subtree_control", "w") as f:
    f.write("+memory")
group = f"{CGROUP}/secret-test"
os.makedirs(group, exist_ok=True)
with open(f"{group}/memory.max", "w") as f:
    f.write(str(64 << 20))
with open(f"{group}/memory.swap.max" if os.path.exists(f"{group}/memory.swap.max") else os.devnull, "w") as f:
    f.write("0")


def in_group(size):
    with open(f"{group}/cgroup.procs", "w") as f:
        f.write(str(os.getpid()))
    m = secret_map(size)
    with open(f"{group}/memory.current") as f:
        current = int(f.read())
    print(f"     {size >> 20} MiB secret in the cgroup: memory.current {current >> 20} MiB", flush=True)
    return current >= size and unreadable_through_proc_mem(m)


check(in_child(lambda: in_group(16 << 20)) == 0, "16 MiB of secret memory inside a 64 MiB memory cgroup, charged to it")
status = in_child(lambda: in_group(256 << 20))
check(status != 0, f"256 MiB of secret memory does not fit in the 64 MiB cgroup (child status {status})")
print(f"     after: SecretMap {meminfo('SecretMap')} kB, SecretPool {meminfo('SecretPool')} kB", flush=True)
os.rmdir(group)

finish()
