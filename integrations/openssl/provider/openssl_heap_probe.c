/* SPDX-License-Identifier: MIT */
#include "openssl_heap_probe.h"

#include <secretmem/alloc.h>

#include <openssl/crypto.h>

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

typedef int (*owns_fn)(const void*);
typedef int (*heap_stats_fn)(struct secretmem_heap_stats*);

struct openssl_heap_verdict openssl_heap_probe(void)
{
    struct openssl_heap_verdict verdict = {0, NULL};
    void* owns_symbol = dlsym(RTLD_DEFAULT, "secretmem_owns");
    void* stats_symbol = dlsym(RTLD_DEFAULT, "secretmem_get_heap_stats");
    if (owns_symbol == NULL || stats_symbol == NULL)
        return verdict;
    owns_fn owns = NULL;
    heap_stats_fn stats = NULL;
    /* POSIX's way to turn dlsym's object pointer into a function pointer. */
    memcpy(&owns, &owns_symbol, sizeof owns_symbol);
    memcpy(&stats, &stats_symbol, sizeof stats_symbol);

    void* ordinary = OPENSSL_malloc(1);
    void* secure = OPENSSL_secure_malloc(1);
    const int both = ordinary != NULL && secure != NULL && owns(ordinary) && owns(secure);
    OPENSSL_free(ordinary);
    OPENSSL_secure_free(secure);

    struct secretmem_heap_stats heap;
    if (both && stats(&heap) == 0 && heap.backend != NULL) {
        verdict.secret = 1;
        verdict.backend = heap.backend;
    }
    return verdict;
}
