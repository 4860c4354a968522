/* SPDX-License-Identifier: MIT */
/*
 * What glibc 2.36 lacks for secret memory: the MAP_SECRET / PROT_SECRET
 * constants of the secretmem kernel series and a memfd_secret() wrapper.
 *
 * Kernel contract (kernel/patches, Documentation/admin-guide/mm/secret_map.rst):
 *
 *   MAP_SECRET   mmap() mapping type, with MAP_ANONYMOUS: private anonymous
 *                memory removed from the kernel's direct map, locked,
 *                excluded from core dumps, and wiped (zero-filled) in a forked
 *                child; after madvise(MADV_KEEPONFORK) the child gets its own
 *                secret copy instead, made by the kernel.  A value of the
 *                MAP_TYPE field, as MAP_DROPPABLE is, not a flag bit:
 *                kernels without the series reject a type
 *                they do not know with EINVAL, where they would silently
 *                ignore an unknown bit under MAP_PRIVATE and hand out
 *                ordinary memory.  It contains the MAP_PRIVATE bit, so
 *                MAP_PRIVATE | MAP_SECRET is the same request.
 *
 *   PROT_SECRET  mprotect() flag that converts existing private anonymous
 *                memory, contents preserved.  Sticky: only munmap() or exit
 *                ends it.  0x10 and 0x20 are reserved for architectures, so
 *                the series takes 0x40.  Unpatched kernels reject unknown
 *                PROT bits with EINVAL, which is how secretmem_probe() tells
 *                whether the API is there without mapping secret memory.
 */
#ifndef SECRETMEM_MMAN_H
#define SECRETMEM_MMAN_H

#include <sys/mman.h>

#ifndef MAP_SECRET
#define MAP_SECRET 0x0a
#endif

#ifndef PROT_SECRET
#define PROT_SECRET 0x40
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * memfd_secret(2): create a file whose pages are removed from the direct
 * map.  @flags may only be O_CLOEXEC.  Returns a file descriptor, or -1 with
 * errno set: ENOSYS when the kernel lacks it or it is disabled
 * (secretmem.enable=0 on the kernel command line), EPERM when a seccomp
 * filter forbids it, EINVAL for any flag other than O_CLOEXEC.
 *
 * Named as the kernel names the syscall; glibc up to at least 2.36 provides
 * no wrapper, so this library does.
 */
int memfd_secret(unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_MMAN_H */
