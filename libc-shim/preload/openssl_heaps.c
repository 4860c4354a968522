/* SPDX-License-Identifier: MIT */
/*
 * SECRETMEM_PRELOAD_OPENSSL: which of OpenSSL's heaps the shim makes
 * secret.  "all" (the default): the secure heap and the ordinary one,
 * through which libcrypto copies keys as it decodes, encodes and uses them
 * (integrations/openssl/heap/general_heap.h).  "secure-heap": only what
 * OpenSSL itself calls secure, for a server whose many connections would
 * otherwise hold much locked memory, at the price of those copies.
 */
#include "general_heap.h"
#include "preload_mode.h"

#include <secretmem/alloc.h>

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char openssl_variable[] = "SECRETMEM_PRELOAD_OPENSSL";

/* 0 until read, then 1 (secret) or 2 (glibc's). */
static atomic_int wanted;

static int read_setting(void)
{
    const char* value = getenv(openssl_variable);
    if (value == NULL || value[0] == '\0' || strcmp(value, "all") == 0)
        return 1;
    if (strcmp(value, "secure-heap") == 0)
        return 2;
    preload_refuse_setting(openssl_variable, value,
                           "'all' (OpenSSL's secure and ordinary heaps are secret; the default) "
                           "or 'secure-heap' (only its secure heap is)");
}

int general_heap_wanted(void)
{
    int setting = atomic_load_explicit(&wanted, memory_order_relaxed);
    if (setting == 0) {
        setting = read_setting();
        atomic_store_explicit(&wanted, setting, memory_order_relaxed);
    }
    return setting == 1;
}

/*
 * Read as the process starts, so that a bad value stops it before main,
 * whether or not OpenSSL ever arrives.  A program linked with libcrypto
 * needs the secret heap for OpenSSL's first allocation: start it now, so
 * that a heap that cannot start stops the program here, with the reason,
 * not in whatever OpenSSL call comes first (a libcrypto dlopen()ed later
 * stops there, general_heap.c).
 */
__attribute__((constructor)) static void check_setting_at_start(void)
{
    (void)preload_mode();
    if (!general_heap_wanted() || dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto") == NULL)
        return;
    void* probe = secretmem_malloc(1);
    if (probe == NULL) {
        preload_die("OpenSSL's heaps cannot be put in secret memory",
                    secretmem_heap_error() != NULL ? secretmem_heap_error() : "no reason given");
    }
    secretmem_free(probe);
}
