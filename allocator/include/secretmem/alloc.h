/* SPDX-License-Identifier: MIT */
/*
 * The secret heap: malloc-style allocation from memory the kernel keeps out
 * of its direct map, for code that holds many small secrets.
 *
 * One heap per process, a jemalloc arena set whose extents come from the
 * best secret backend the SDK's policy accepts (MAP_SECRET, then
 * memfd_secret, then the mlock fallback only when degraded protection is
 * allowed: SECRETMEM_ALLOW_DEGRADED=1).  The backend is chosen on first use
 * and kept for the heap's life; secretmem_get_heap_stats() says which it is.
 *
 * Every block is zeroed when it is freed or moved by realloc, before the
 * allocator can reuse it.  A child of fork() gets its own copy of the heap,
 * in secret memory of its own (never shared with the parent), unless
 * secretmem_heap_copy_on_fork(0) was called: then its heap reads as zeros.
 * Either way it stays usable, so the child can allocate, free and exec.
 *
 * All functions are thread-safe and async-signal-unsafe, like malloc.
 */
#ifndef SECRETMEM_ALLOC_H
#define SECRETMEM_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SECRETMEM_ALLOC_API __attribute__((visibility("default")))
#else
#define SECRETMEM_ALLOC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * As malloc, calloc, realloc, aligned_alloc and free.  NULL with errno
 * ENOMEM when the heap cannot grow (the memlock limit, usually) or could not
 * start at all; secretmem_heap_error() then says why and what to do.
 * secretmem_malloc(0) returns a unique pointer.  secretmem_realloc() keeps
 * the block secret and zeroes the old one when it moves; realloc(p, 0)
 * frees p and returns NULL, as glibc's does.
 */
SECRETMEM_ALLOC_API void* secretmem_malloc(size_t size);
SECRETMEM_ALLOC_API void* secretmem_calloc(size_t count, size_t size);
SECRETMEM_ALLOC_API void* secretmem_realloc(void* ptr, size_t size);
/* @alignment: a power of two (EINVAL otherwise); any size is accepted. */
SECRETMEM_ALLOC_API void* secretmem_aligned_alloc(size_t alignment, size_t size);
SECRETMEM_ALLOC_API void secretmem_free(void* ptr);

/* Bytes usable at @ptr (>= the size asked for); 0 for NULL. */
SECRETMEM_ALLOC_API size_t secretmem_usable_size(const void* ptr);

/*
 * 1 if @ptr points into the secret heap, else 0.  Exact, not a guess: the
 * heap lives in one address-space reservation that nothing else uses.
 */
SECRETMEM_ALLOC_API int secretmem_owns(const void* ptr);

struct secretmem_heap_stats {
    /* "native", "fd" or "locked"; NULL until the heap has started. */
    const char* backend;
    /* 1 when the backend leaves the memory in the kernel's direct map. */
    int degraded;
    /* Secret memory mapped for the heap: what the kernel holds for it. */
    uint64_t mapped_bytes;
    /* Bytes in blocks handed out and not freed, thread caches included. */
    uint64_t allocated_bytes;
    /* jemalloc's bookkeeping for the heap, kept in ordinary memory. */
    uint64_t metadata_bytes;
};

/* Fill @out.  0, or -1 with errno EINVAL when @out is NULL. */
SECRETMEM_ALLOC_API int secretmem_get_heap_stats(struct secretmem_heap_stats* out);

/*
 * Why the heap could not start or grow, for a person (names every backend
 * tried and what to do); NULL while nothing has failed.
 */
SECRETMEM_ALLOC_API const char* secretmem_heap_error(void);

/*
 * Whether a forked child gets a copy of the heap's contents (1, the
 * default: a pre-forking server's workers need what their parent loaded)
 * or a heap that reads as zeros (0: secrets stay with the parent).  A copy
 * costs one memcpy of the heap through a shared secret buffer per fork();
 * posix_spawn() and vfork() copy nothing.  A child that cannot get its copy
 * exits with status 127 rather than run on with its data zeroed.
 */
SECRETMEM_ALLOC_API void secretmem_heap_copy_on_fork(int enable);

/*
 * For malloc interposers (the preload shim): 1 while this thread is
 * starting the heap.  A malloc it makes then (the backend probe, jemalloc's
 * setup) cannot be served by the heap and must go elsewhere.
 */
SECRETMEM_ALLOC_API int secretmem_heap_starting_here(void);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_ALLOC_H */
