/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's ordinary heap (CRYPTO_malloc, CRYPTO_zalloc, CRYPTO_realloc,
 * CRYPTO_clear_realloc, CRYPTO_free, CRYPTO_clear_free, and what libcrypto
 * builds on them: OPENSSL_malloc, OPENSSL_strdup...) over the secret heap.
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
 * The functions are defined here, in the preload shim, ahead of libcrypto's
 * own, as the secure heap's are: libcrypto and libssl call them through
 * their PLT, so every libcrypto that arrives uses them, whether the program
 * links it, dlopen()s it later (Python's _ssl, Ruby, PHP, Perl) or a
 * module's dependency pulls it in, and whatever it allocated before.
 * OpenSSL's CRYPTO_set_mem_functions() would take effect only before
 * libcrypto's first allocation, which a dlopen()ed libcrypto may already
 * have made.  A program's own call to it is refused (the heap would leave
 * secret memory), said once on stderr.  What this cannot reach, a libcrypto
 * linked statically or loaded with RTLD_DEEPBIND, shows in the report: a
 * libcrypto is loaded and none of its allocations came here.
 */
#ifndef SECRETMEM_OPENSSL_GENERAL_HEAP_H
#define SECRETMEM_OPENSSL_GENERAL_HEAP_H

#include <stdint.h>

enum general_heap_state {
    GENERAL_HEAP_NO_LIBCRYPTO,  /* no libcrypto in the process */
    GENERAL_HEAP_SECRET,        /* libcrypto allocates in the secret heap */
    GENERAL_HEAP_UNREACHED,     /* a libcrypto is loaded; none of its allocations came here */
    GENERAL_HEAP_NOT_REQUESTED, /* left to glibc by the caller's choice */
};

/*
 * Whether OpenSSL's ordinary heap is to be secret (1) or glibc's (0).
 * Defined by what links this library (the preload shim, from its setting);
 * asked on every allocation, so it must be cheap once answered, and may be
 * asked first from inside libcrypto's first allocation.
 */
int general_heap_wanted(void);

/* Where OpenSSL's ordinary heap is now, for the exit report. */
enum general_heap_state general_heap_state(void);
const char* general_heap_state_name(enum general_heap_state state);

/* Bytes of OpenSSL's ordinary heap in secret memory at most at once. */
uint64_t general_heap_peak(void);

/* 1 when the program called CRYPTO_set_mem_functions() and was refused. */
int general_heap_refused_custom_functions(void);

#endif /* SECRETMEM_OPENSSL_GENERAL_HEAP_H */
