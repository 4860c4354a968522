/* SPDX-License-Identifier: MIT */
/*
 * glibc's own allocator, reached without dlsym: glibc exports its malloc
 * family a second time under __libc_ names, so the shim can call it from
 * its first malloc on, before anything is resolved and without recursing.
 */
#ifndef SECRETMEM_GLIBC_MALLOC_H
#define SECRETMEM_GLIBC_MALLOC_H

#include <stddef.h>

/* glibc's names, reserved because they are glibc's. */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* ptr);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

/*
 * glibc's malloc_usable_size, which has no __libc_ twin.  Resolved with
 * dlsym(RTLD_NEXT) when the shim starts: that lookup may itself allocate,
 * which is safe because no other allocation path depends on it.
 */
size_t glibc_usable_size(void* ptr);

#endif /* SECRETMEM_GLIBC_MALLOC_H */
