/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <secretmem/mman.h>
#include <secretmem/probe.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static struct secretmem_feature feature(enum secretmem_status status, int error)
{
    struct secretmem_feature f = {status, error};
    return f;
}

/* Resource errors mean "present, but not now"; the rest are refusals. */
static struct secretmem_feature classify(int error)
{
    switch (error) {
    case EAGAIN:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
        return feature(SECRETMEM_LIMITED, error);
    case EPERM:
    case EACCES:
        return feature(SECRETMEM_DENIED, error);
    default:
        return feature(SECRETMEM_FAILED, error);
    }
}

static void* scratch_page(size_t page)
{
    void* p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/*
 * mprotect() rejects a PROT bit it does not know with EINVAL, without mapping
 * any secret memory.  PROT_SECRET and MAP_SECRET come in the same kernel
 * series, and a kernel without it refuses the MAP_SECRET type the same way.
 */
static struct secretmem_feature probe_native(size_t page)
{
    struct secretmem_feature result;
    void* p = scratch_page(page);

    if (!p)
        return classify(errno);
    if (mprotect(p, page, PROT_READ | PROT_WRITE | PROT_SECRET) == 0) {
        result = feature(SECRETMEM_AVAILABLE, 0);
    } else if (errno == EINVAL) {
        result = feature(SECRETMEM_ABSENT, EINVAL);
    } else {
        result = classify(errno);
    }
    munmap(p, page);
    return result;
}

/*
 * Creating the file is not enough: mmap() is where memfd_secret charges
 * RLIMIT_MEMLOCK, so map one page too.
 */
static struct secretmem_feature probe_memfd_secret(size_t page)
{
    struct secretmem_feature result = feature(SECRETMEM_AVAILABLE, 0);
    void* p = NULL;
    int fd = memfd_secret(O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOSYS)
            return feature(SECRETMEM_ABSENT, ENOSYS);
        return classify(errno);
    }
    if (ftruncate(fd, (off_t)page) != 0) {
        result = classify(errno);
    } else {
        p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            result = classify(errno);
        } else {
            munmap(p, page);
        }
    }
    close(fd);
    return result;
}

static struct secretmem_feature probe_mlock(size_t page)
{
    struct secretmem_feature result = feature(SECRETMEM_AVAILABLE, 0);
    void* p = scratch_page(page);

    if (!p)
        return classify(errno);
    /* mlock() says EPERM, not EAGAIN, when RLIMIT_MEMLOCK is 0. */
    if (mlock(p, page) != 0)
        result = errno == EPERM ? feature(SECRETMEM_LIMITED, EPERM) : classify(errno);
    munmap(p, page);
    return result;
}

static uint64_t limit_bytes(rlim_t value)
{
    return value == RLIM_INFINITY ? SECRETMEM_LIMIT_INFINITY : (uint64_t)value;
}

static uint64_t locked_bytes(void)
{
    char line[256];
    unsigned long long kib = 0;
    FILE* status = fopen("/proc/self/status", "re");

    if (!status)
        return 0;
    while (fgets(line, sizeof(line), status)) {
        if (sscanf(line, "VmLck: %llu kB", &kib) == 1)
            break;
    }
    fclose(status);
    return (uint64_t)kib * 1024;
}

static int has_ipc_lock(void)
{
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &header, data) != 0)
        return 0;
    return (data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective & CAP_TO_MASK(CAP_IPC_LOCK)) != 0;
}

int secretmem_probe(struct secretmem_probe_result* out)
{
    struct rlimit memlock;
    struct utsname uts;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (!out) {
        errno = EINVAL;
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->native = probe_native(page);
    out->memfd_secret = probe_memfd_secret(page);
    out->mlock = probe_mlock(page);
    if (getrlimit(RLIMIT_MEMLOCK, &memlock) == 0) {
        out->memlock_soft = limit_bytes(memlock.rlim_cur);
        out->memlock_hard = limit_bytes(memlock.rlim_max);
    }
    out->locked_bytes = locked_bytes();
    out->ipc_lock_capable = has_ipc_lock();
    if (uname(&uts) == 0)
        snprintf(out->kernel_release, sizeof(out->kernel_release), "%s", uts.release);
    return 0;
}

const char* secretmem_status_name(enum secretmem_status status)
{
    switch (status) {
    case SECRETMEM_AVAILABLE:
        return "available";
    case SECRETMEM_ABSENT:
        return "absent";
    case SECRETMEM_DENIED:
        return "denied";
    case SECRETMEM_LIMITED:
        return "limited";
    case SECRETMEM_FAILED:
        return "failed";
    }
    return "unknown";
}
