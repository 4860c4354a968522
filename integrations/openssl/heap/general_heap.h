/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's ordinary heap (CRYPTO_malloc, CRYPTO_realloc, CRYPTO_free and
 * what is built on them), redirected into the secret heap.
 *
 * The secure heap alone does not keep a key out of readable memory:
 * libcrypto copies private keys through its ordinary heap whenever it
 * decodes, encodes or uses them (the DER of a PEM file being read or
 * written, PKCS#8 structures, the octet strings of X25519 and Ed25519 keys,
 * an EC key's SEC1 encoding), and frees most of those buffers without
 * wiping them.  Measured with openssl genpkey and pkeyutl on OpenSSL 3.0:
 * with the secure heap redirected, 1 to 6 copies of the private key remain
 * in glibc's heap; with this as well, none.
 *
 * The hook is OpenSSL's own CRYPTO_set_mem_functions(), looked up at run
 * time so that programs without libcrypto need none.  OpenSSL accepts it
 * only before its first allocation, so it is installed from the preload
 * shim's constructor; a libcrypto loaded later (dlopen) keeps its heap.
 */
#ifndef SECRETMEM_OPENSSL_GENERAL_HEAP_H
#define SECRETMEM_OPENSSL_GENERAL_HEAP_H

#include <stdint.h>

enum general_heap_state {
    GENERAL_HEAP_NO_LIBCRYPTO,  /* no libcrypto in the process at startup */
    GENERAL_HEAP_SECRET,        /* redirected: OpenSSL's heap is secret */
    GENERAL_HEAP_REFUSED,       /* libcrypto had allocated already */
    GENERAL_HEAP_NOT_REQUESTED, /* left to glibc by the caller's choice */
};

/* Install the hooks, if libcrypto is loaded; what happened. */
enum general_heap_state general_heap_redirect(void);

/* Record that the caller chose to leave OpenSSL's heap to glibc. */
enum general_heap_state general_heap_redirect_skipped(void);

/* The state general_heap_redirect() left, for the exit report. */
enum general_heap_state general_heap_state(void);
const char* general_heap_state_name(enum general_heap_state state);

/* Bytes of OpenSSL's ordinary heap in secret memory at most at once. */
uint64_t general_heap_peak(void);

#endif /* SECRETMEM_OPENSSL_GENERAL_HEAP_H */
