/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's secure heap, redirected into the secret heap.  Linked into the
 * preload shim, whose CRYPTO_secure_* definitions come before libcrypto's
 * in symbol lookup: every allocation libcrypto makes "securely" (EC and
 * X25519/Ed25519 private keys, secure BIGNUMs such as RSA's private
 * factors, DRBG state) lands in secret memory.  Unlike OpenSSL's own, the
 * heap grows on demand and has no global lock on the hot path.
 */
#ifndef SECRETMEM_SECURE_HEAP_H
#define SECRETMEM_SECURE_HEAP_H

#include <stdint.h>

struct secure_heap_usage {
    uint64_t allocations; /* CRYPTO_secure_malloc/zalloc calls that succeeded */
    uint64_t in_use;      /* bytes now (usable sizes) */
    uint64_t peak;        /* most bytes in use at once */
};

void secure_heap_usage(struct secure_heap_usage* out);

#endif /* SECRETMEM_SECURE_HEAP_H */
