/* SPDX-License-Identifier: MIT */
#include "general_heap.h"
#include "usage.h"

#include <secretmem/alloc.h>

#include <openssl/crypto.h>

#include <dlfcn.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef int (*set_mem_functions_fn)(CRYPTO_malloc_fn, CRYPTO_realloc_fn, CRYPTO_free_fn);

static enum general_heap_state state = GENERAL_HEAP_NO_LIBCRYPTO;
static struct heap_usage usage;

static void count_in(void* block)
{
    usage_add(&usage, secretmem_usable_size(block));
}

static void count_out(void* block)
{
    usage_remove(&usage, secretmem_usable_size(block));
}

/* OpenSSL's own CRYPTO_malloc returns NULL for 0 bytes; so does this. */
static void* secret_malloc(size_t num, const char* file, int line)
{
    (void)file;
    (void)line;
    if (num == 0)
        return NULL;
    void* block = secretmem_malloc(num);
    if (block != NULL)
        count_in(block);
    return block;
}

static void secret_free(void* ptr, const char* file, int line)
{
    (void)file;
    (void)line;
    if (ptr == NULL)
        return;
    if (secretmem_owns(ptr)) {
        count_out(ptr);
        secretmem_free(ptr); /* wipes */
        return;
    }
    /* Not OpenSSL's (it allocated nothing before the hooks): whoever made
     * it, the preload's free() finds its heap. */
    explicit_bzero(ptr, malloc_usable_size(ptr));
    free(ptr);
}

static void* secret_realloc(void* ptr, size_t num, const char* file, int line)
{
    if (ptr == NULL)
        return secret_malloc(num, file, line);
    if (num == 0) {
        secret_free(ptr, file, line);
        return NULL;
    }
    if (secretmem_owns(ptr)) {
        count_out(ptr);
        void* block = secretmem_realloc(ptr, num); /* wipes what it leaves */
        count_in(block != NULL ? block : ptr);
        return block;
    }
    void* block = secret_malloc(num, file, line);
    if (block != NULL) {
        const size_t old = malloc_usable_size(ptr);
        memcpy(block, ptr, old < num ? old : num);
        secret_free(ptr, file, line);
    }
    return block;
}

enum general_heap_state general_heap_redirect(void)
{
    void* symbol = dlsym(RTLD_DEFAULT, "CRYPTO_set_mem_functions");
    if (symbol == NULL) {
        state = GENERAL_HEAP_NO_LIBCRYPTO;
        return state;
    }
    set_mem_functions_fn set_mem_functions = NULL;
    /* POSIX's way to turn dlsym's object pointer into a function pointer. */
    memcpy(&set_mem_functions, &symbol, sizeof symbol);
    state = set_mem_functions(secret_malloc, secret_realloc, secret_free) ? GENERAL_HEAP_SECRET
                                                                          : GENERAL_HEAP_REFUSED;
    return state;
}

enum general_heap_state general_heap_redirect_skipped(void)
{
    state = dlsym(RTLD_DEFAULT, "CRYPTO_set_mem_functions") != NULL ? GENERAL_HEAP_NOT_REQUESTED
                                                                    : GENERAL_HEAP_NO_LIBCRYPTO;
    return state;
}

enum general_heap_state general_heap_state(void)
{
    return state;
}

const char* general_heap_state_name(enum general_heap_state s)
{
    switch (s) {
    case GENERAL_HEAP_SECRET:
        return "secret";
    case GENERAL_HEAP_REFUSED:
        return "refused";
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
