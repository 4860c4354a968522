/* SPDX-License-Identifier: MIT */
/*
 * The glibc malloc family, interposed.  New blocks go to the secret heap or
 * to glibc by the mode; a block is freed, resized or measured by whichever
 * heap owns it, decided by secretmem_owns() (an address-range check), so a
 * pointer from either heap may be passed anywhere.
 */
#include "glibc_malloc.h"
#include "preload_mode.h"

#include <secretmem/alloc.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define PUBLIC __attribute__((visibility("default")))

static size_t (*glibc_usable_size_fn)(void*);

__attribute__((constructor)) static void resolve_glibc_usable_size(void)
{
    /* POSIX's way to turn dlsym's object pointer into a function pointer. */
    void* symbol = dlsym(RTLD_NEXT, "malloc_usable_size");
    memcpy(&glibc_usable_size_fn, &symbol, sizeof symbol);
}

size_t glibc_usable_size(void* ptr)
{
    if (glibc_usable_size_fn == NULL)
        resolve_glibc_usable_size();
    if (glibc_usable_size_fn == NULL)
        preload_die("cannot find glibc's malloc_usable_size", dlerror());
    return glibc_usable_size_fn(ptr);
}

/*
 * While this thread starts the secret heap, its own allocations (the
 * backend probe, jemalloc's setup) go to glibc: the heap cannot serve them
 * yet.  They are the shim's, not the program's.
 */
static int wants_secret(void)
{
    return preload_mode() == PRELOAD_ALL && !secretmem_heap_starting_here();
}

/*
 * In mode "all" a failure to start the heap must stop the program: handing
 * out glibc memory instead would be the silent downgrade the mode forbids.
 * A heap that started and cannot grow is an ordinary out-of-memory.
 */
static void* checked(void* block)
{
    if (block == NULL && secretmem_heap_error() != NULL) {
        struct secretmem_heap_stats stats;
        if (secretmem_get_heap_stats(&stats) == 0 && stats.backend == NULL)
            preload_die("SECRETMEM_PRELOAD=all and no secret memory", secretmem_heap_error());
    }
    return block;
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static void* aligned(size_t alignment, size_t size)
{
    if (wants_secret())
        return checked(secretmem_aligned_alloc(alignment, size));
    return __libc_memalign(alignment, size);
}

PUBLIC void* malloc(size_t size)
{
    if (wants_secret())
        return checked(secretmem_malloc(size));
    return __libc_malloc(size);
}

PUBLIC void free(void* ptr)
{
    if (secretmem_owns(ptr)) {
        secretmem_free(ptr);
    } else {
        __libc_free(ptr);
    }
}

PUBLIC void* calloc(size_t count, size_t size)
{
    if (wants_secret())
        return checked(secretmem_calloc(count, size));
    return __libc_calloc(count, size);
}

PUBLIC void* realloc(void* ptr, size_t size)
{
    if (ptr == NULL)
        return malloc(size);
    if (secretmem_owns(ptr))
        return secretmem_realloc(ptr, size);
    if (!wants_secret() || size == 0)
        return __libc_realloc(ptr, size);
    /* A glibc block (made while the heap started) moves into the heap. */
    void* moved = checked(secretmem_malloc(size));
    if (moved != NULL) {
        const size_t old = glibc_usable_size(ptr);
        memcpy(moved, ptr, old < size ? old : size);
        __libc_free(ptr);
    }
    return moved;
}

PUBLIC void* reallocarray(void* ptr, size_t count, size_t size)
{
    size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, bytes);
}

PUBLIC void* memalign(size_t alignment, size_t size)
{
    /* glibc rounds a bad alignment up to a power of two; so does this. */
    if (alignment != 0 && (alignment & (alignment - 1)) != 0) {
        size_t power = 1;
        while (power < alignment && power != 0)
            power <<= 1;
        if (power == 0) {
            errno = EINVAL;
            return NULL;
        }
        alignment = power;
    }
    return aligned(alignment == 0 ? 1 : alignment, size);
}

PUBLIC void* aligned_alloc(size_t alignment, size_t size)
{
    return memalign(alignment, size);
}

PUBLIC int posix_memalign(void** out, size_t alignment, size_t size)
{
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0)
        return EINVAL;
    const int saved = errno;
    void* block = aligned(alignment, size);
    if (block == NULL) {
        errno = saved;
        return ENOMEM;
    }
    *out = block;
    return 0;
}

PUBLIC void* valloc(size_t size)
{
    return aligned(page_size(), size);
}

PUBLIC void* pvalloc(size_t size)
{
    const size_t page = page_size();
    if (size > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    const size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
    return aligned(page, rounded);
}

PUBLIC size_t malloc_usable_size(void* ptr)
{
    if (ptr == NULL)
        return 0;
    if (secretmem_owns(ptr))
        return secretmem_usable_size(ptr);
    return glibc_usable_size(ptr);
}
