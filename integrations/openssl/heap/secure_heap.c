/* SPDX-License-Identifier: MIT */
/*
 * The CRYPTO_secure_* functions of OpenSSL 3 (crypto/mem_sec.c), with the
 * same signatures and return conventions, over the secret heap.  Where
 * OpenSSL falls back to its ordinary heap (a secure heap never
 * initialized, or full) these fail instead: a private key must not land in
 * the direct map because secret memory ran out.
 */
#include "secure_heap.h"
#include "usage.h"

#include <secretmem/alloc.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PUBLIC __attribute__((visibility("default")))

static struct heap_usage usage;

static void count_allocation(void* block)
{
    usage_add(&usage, secretmem_usable_size(block));
}

static void release(void* block)
{
    usage_remove(&usage, secretmem_usable_size(block));
    secretmem_free(block); /* wipes */
}

PUBLIC int CRYPTO_secure_malloc_init(size_t size, size_t minsize)
{
    /* OpenSSL's checks, so callers get the answers they are written for;
     * the arena size itself is moot: the secret heap grows. */
    if (size == 0 || (size & (size - 1)) != 0 || minsize == 0 || (minsize & (minsize - 1)) != 0)
        return 0;
    void* probe = secretmem_malloc(1);
    if (probe == NULL)
        return 0;
    secretmem_free(probe);
    return 1;
}

PUBLIC int CRYPTO_secure_malloc_done(void)
{
    /* OpenSSL releases its arena only when nothing is allocated from it;
     * the secret heap is shared and stays, but the answer is the same. */
    return atomic_load_explicit(&usage.in_use, memory_order_relaxed) == 0;
}

PUBLIC int CRYPTO_secure_malloc_initialized(void)
{
    return 1;
}

PUBLIC void* CRYPTO_secure_malloc(size_t num, const char* file, int line)
{
    (void)file;
    (void)line;
    void* block = secretmem_malloc(num);
    if (block != NULL)
        count_allocation(block);
    return block;
}

PUBLIC void* CRYPTO_secure_zalloc(size_t num, const char* file, int line)
{
    (void)file;
    (void)line;
    void* block = secretmem_calloc(1, num);
    if (block != NULL)
        count_allocation(block);
    return block;
}

PUBLIC void CRYPTO_secure_clear_free(void* ptr, size_t num, const char* file, int line)
{
    (void)file;
    (void)line;
    if (ptr == NULL)
        return;
    if (secretmem_owns(ptr)) {
        release(ptr);
    } else {
        explicit_bzero(ptr, num);
        free(ptr);
    }
}

/* OpenSSL hands a pointer it did not allocate securely to the ordinary
 * heap; free() (the shim's) finds its owner. */
PUBLIC void CRYPTO_secure_free(void* ptr, const char* file, int line)
{
    CRYPTO_secure_clear_free(ptr, 0, file, line);
}

/* Whether @ptr is in secret memory: OpenSSL's ordinary blocks are too. */
PUBLIC int CRYPTO_secure_allocated(const void* ptr)
{
    return secretmem_owns(ptr);
}

PUBLIC size_t CRYPTO_secure_actual_size(void* ptr)
{
    return secretmem_usable_size(ptr);
}

PUBLIC size_t CRYPTO_secure_used(void)
{
    return (size_t)atomic_load_explicit(&usage.in_use, memory_order_relaxed);
}

void secure_heap_usage(struct secure_heap_usage* out)
{
    out->allocations = atomic_load_explicit(&usage.allocations, memory_order_relaxed);
    out->in_use = atomic_load_explicit(&usage.in_use, memory_order_relaxed);
    out->peak = atomic_load_explicit(&usage.peak, memory_order_relaxed);
}
