/* SPDX-License-Identifier: MIT */
/*
 * What the running kernel offers for secret memory, found by trying it.
 *
 * Every answer comes from a real system call on a scratch page, never from
 * the kernel version: distributions backport, seccomp filters deny, and boot
 * options disable.
 */
#ifndef SECRETMEM_PROBE_H
#define SECRETMEM_PROBE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum secretmem_status {
    SECRETMEM_AVAILABLE = 0, /* works now */
    SECRETMEM_ABSENT,        /* the kernel does not have it */
    SECRETMEM_DENIED,        /* present but refused: seccomp, LSM, boot option */
    SECRETMEM_LIMITED,       /* present but a resource limit stops it now */
    SECRETMEM_FAILED,        /* any other error: see the errno */
};

struct secretmem_feature {
    enum secretmem_status status;
    int error; /* errno of the failed step, 0 when available */
};

#define SECRETMEM_LIMIT_INFINITY UINT64_MAX

struct secretmem_probe_result {
    /* mmap(MAP_SECRET) / mprotect(PROT_SECRET) of the secretmem series */
    struct secretmem_feature native;
    /* memfd_secret(2), stock since Linux 5.14 */
    struct secretmem_feature memfd_secret;
    /* mlock(2) of one page: what the degraded fallback needs */
    struct secretmem_feature mlock;
    /* RLIMIT_MEMLOCK in bytes, SECRETMEM_LIMIT_INFINITY when unlimited */
    uint64_t memlock_soft;
    uint64_t memlock_hard;
    /* bytes this process has locked already (VmLck) */
    uint64_t locked_bytes;
    /* CAP_IPC_LOCK in the effective set: memlock limits do not apply */
    int ipc_lock_capable;
    /* uname -r */
    char kernel_release[65];
};

/*
 * Fill @out.  Returns 0, or -1 with errno set if @out is NULL.  Costs a few
 * system calls and one scratch page per feature; safe to call from any
 * thread.  Callers that need the answer often should cache it.
 */
int secretmem_probe(struct secretmem_probe_result* out);

/* "available", "absent", "denied", "limited" or "failed". */
const char* secretmem_status_name(enum secretmem_status status);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROBE_H */
