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

#include <stdlib.h>
#include <string.h>

static const char openssl_variable[] = "SECRETMEM_PRELOAD_OPENSSL";

static int general_heap_wanted(void)
{
    const char* value = getenv(openssl_variable);
    if (value == NULL || value[0] == '\0' || strcmp(value, "all") == 0)
        return 1;
    if (strcmp(value, "secure-heap") == 0)
        return 0;
    preload_refuse_setting(openssl_variable, value,
                           "'all' (OpenSSL's secure and ordinary heaps are secret; the default) "
                           "or 'secure-heap' (only its secure heap is)");
}

/* The mode is read first: an unknown one exits before OpenSSL is touched. */
__attribute__((constructor)) static void redirect_openssl_heap(void)
{
    (void)preload_mode();
    if (!general_heap_wanted()) {
        (void)general_heap_redirect_skipped();
        return;
    }
    const enum general_heap_state state = general_heap_redirect();
    if (state == GENERAL_HEAP_REFUSED) {
        /* Never a silent downgrade: say what stays readable. */
        preload_say("secretmem-preload: warning: libcrypto allocated before the shim started, "
                    "so OpenSSL's ordinary heap stays in glibc's: keys OpenSSL copies there as "
                    "it decodes and encodes them are readable; its secure heap is secret\n");
    }
    if (state != GENERAL_HEAP_SECRET)
        return;
    /* Every OpenSSL allocation now needs the secret heap: without it the
     * program would fail later, in whatever OpenSSL call came first, with
     * nothing but "malloc failure".  Stop now and say why. */
    void* probe = secretmem_malloc(1);
    if (probe == NULL) {
        preload_die("OpenSSL's heaps cannot be put in secret memory",
                    secretmem_heap_error() != NULL ? secretmem_heap_error() : "no reason given");
    }
    secretmem_free(probe);
}
