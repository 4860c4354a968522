/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <secretmem/mman.h>

#include <sys/syscall.h>
#include <unistd.h>

/* x86_64 and the asm-generic table agree on 447; older headers lack the name. */
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int memfd_secret(unsigned int flags)
{
    return (int)syscall(SYS_memfd_secret, flags);
}
