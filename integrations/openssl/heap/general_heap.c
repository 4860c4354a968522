/* SPDX-License-Identifier: MIT */
#include "general_heap.h"
#include "usage.h"

#include <secretmem/alloc.h>

#include <openssl/crypto.h>

#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUBLIC __attribute__((visibility("default")))

static struct heap_usage usage;
static atomic_int refused_custom;

/* A program's own functions, used only where the heap is left to glibc. */
static _Atomic(CRYPTO_malloc_fn) custom_malloc;
static _Atomic(CRYPTO_realloc_fn) custom_realloc;
static _Atomic(CRYPTO_free_fn) custom_free;

static void say(const char* text)
{
    (void)!write(STDERR_FILENO, text, strlen(text));
}

/*
 * libcrypto cannot work without its heap, and handing it glibc's memory
 * instead would be a silent downgrade: stop, and say why.  A heap that
 * started and cannot grow is an ordinary out-of-memory.
 */
static void* checked(void* block)
{
    if (block == NULL) {
        struct secretmem_heap_stats stats;
        if (secretmem_get_heap_stats(&stats) == 0 && stats.backend == NULL) {
            const char* why = secretmem_heap_error();
            say("secretmem-preload: OpenSSL's heaps cannot be put in secret memory: ");
            say(why != NULL ? why : "no reason given");
            say("\n");
            abort();
        }
    }
    return block;
}

static void* secret_block(size_t num, int zero)
{
    void* block = checked(zero ? secretmem_calloc(1, num) : secretmem_malloc(num));
    if (block != NULL)
        usage_add(&usage, secretmem_usable_size(block));
    return block;
}

/* Frees a block of either heap: OpenSSL's callers free what others made. */
static void release(void* ptr)
{
    if (secretmem_owns(ptr)) {
        usage_remove(&usage, secretmem_usable_size(ptr));
        secretmem_free(ptr); /* wipes */
        return;
    }
    free(ptr); /* the preload's: finds its heap */
}

static size_t usable(void* ptr)
{
    return secretmem_owns(ptr) ? secretmem_usable_size(ptr) : malloc_usable_size(ptr);
}

/* OpenSSL's own CRYPTO_malloc returns NULL for 0 bytes; so do these. */
PUBLIC void* CRYPTO_malloc(size_t num, const char* file, int line)
{
    if (num == 0)
        return NULL;
    if (general_heap_wanted())
        return secret_block(num, 0);
    const CRYPTO_malloc_fn custom = atomic_load(&custom_malloc);
    return custom != NULL ? custom(num, file, line) : malloc(num);
}

PUBLIC void* CRYPTO_zalloc(size_t num, const char* file, int line)
{
    if (num != 0 && general_heap_wanted())
        return secret_block(num, 1);
    void* block = CRYPTO_malloc(num, file, line);
    if (block != NULL)
        memset(block, 0, num);
    return block;
}

PUBLIC void CRYPTO_free(void* ptr, const char* file, int line)
{
    if (ptr == NULL)
        return;
    const CRYPTO_free_fn custom = atomic_load(&custom_free);
    if (custom != NULL && !secretmem_owns(ptr)) {
        custom(ptr, file, line);
        return;
    }
    release(ptr);
}

PUBLIC void CRYPTO_clear_free(void* ptr, size_t num, const char* file, int line)
{
    if (ptr == NULL)
        return;
    if (num > 0)
        explicit_bzero(ptr, num);
    CRYPTO_free(ptr, file, line);
}

/* A move into a fresh block, wiping the old one: never realloc() in place
 * of a secret block, whose old bytes glibc would not wipe. */
static void* move_block(void* ptr, size_t old, size_t num, const char* file, int line)
{
    void* block = CRYPTO_malloc(num, file, line);
    if (block != NULL) {
        memcpy(block, ptr, old < num ? old : num);
        CRYPTO_clear_free(ptr, old, file, line);
    }
    return block;
}

PUBLIC void* CRYPTO_realloc(void* addr, size_t num, const char* file, int line)
{
    if (addr == NULL)
        return CRYPTO_malloc(num, file, line);
    if (num == 0) {
        CRYPTO_free(addr, file, line);
        return NULL;
    }
    if (secretmem_owns(addr)) {
        usage_remove(&usage, secretmem_usable_size(addr));
        void* block = secretmem_realloc(addr, num); /* wipes what it leaves */
        usage_add(&usage, secretmem_usable_size(block != NULL ? block : addr));
        return block;
    }
    if (general_heap_wanted())
        return move_block(addr, usable(addr), num, file, line);
    const CRYPTO_realloc_fn custom = atomic_load(&custom_realloc);
    return custom != NULL ? custom(addr, num, file, line) : realloc(addr, num);
}

/* As OpenSSL's: shrinking wipes the tail in place, growing moves. */
PUBLIC void* CRYPTO_clear_realloc(void* addr, size_t old_num, size_t num, const char* file,
                                  int line)
{
    if (addr == NULL)
        return CRYPTO_malloc(num, file, line);
    if (num == 0) {
        CRYPTO_clear_free(addr, old_num, file, line);
        return NULL;
    }
    if (num < old_num) {
        explicit_bzero((char*)addr + num, old_num - num);
        return addr;
    }
    return move_block(addr, old_num, num, file, line);
}

PUBLIC int CRYPTO_set_mem_functions(CRYPTO_malloc_fn malloc_fn, CRYPTO_realloc_fn realloc_fn,
                                    CRYPTO_free_fn free_fn)
{
    if (general_heap_wanted()) {
        if (atomic_exchange(&refused_custom, 1) == 0) {
            say("secretmem-preload: refused the program's CRYPTO_set_mem_functions(): OpenSSL's "
                "heap stays in secret memory (SECRETMEM_PRELOAD_OPENSSL=secure-heap lets the "
                "program have its own)\n");
        }
        return 0;
    }
    atomic_store(&custom_malloc, malloc_fn);
    atomic_store(&custom_realloc, realloc_fn);
    atomic_store(&custom_free, free_fn);
    return 1;
}

static int is_libcrypto(struct dl_phdr_info* info, size_t size, void* data)
{
    (void)size;
    (void)data;
    const char* slash = strrchr(info->dlpi_name, '/');
    const char* name = slash != NULL ? slash + 1 : info->dlpi_name;
    return strncmp(name, "libcrypto.so", strlen("libcrypto.so")) == 0;
}

enum general_heap_state general_heap_state(void)
{
    if (!general_heap_wanted())
        return GENERAL_HEAP_NOT_REQUESTED;
    if (atomic_load_explicit(&usage.allocations, memory_order_relaxed) > 0)
        return GENERAL_HEAP_SECRET;
    return dl_iterate_phdr(is_libcrypto, NULL) != 0 ? GENERAL_HEAP_UNREACHED
                                                    : GENERAL_HEAP_NO_LIBCRYPTO;
}

const char* general_heap_state_name(enum general_heap_state s)
{
    switch (s) {
    case GENERAL_HEAP_SECRET:
        return "secret";
    case GENERAL_HEAP_UNREACHED:
        return "unreached";
    case GENERAL_HEAP_NOT_REQUESTED:
        return "ordinary";
    case GENERAL_HEAP_NO_LIBCRYPTO:
        break;
    }
    return "none";
}

uint64_t general_heap_peak(void)
{
    return atomic_load_explicit(&usage.peak, memory_order_relaxed);
}

int general_heap_refused_custom_functions(void)
{
    return atomic_load(&refused_custom);
}
