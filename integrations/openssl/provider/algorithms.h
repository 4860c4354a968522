/* SPDX-License-Identifier: MIT */
/* What the provider offers, operation by operation (query_operation). */
#ifndef SECRETMEM_PROVIDER_ALGORITHMS_H
#define SECRETMEM_PROVIDER_ALGORITHMS_H

#include <openssl/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The algorithms of @operation_id (OSSL_OP_*).  Ed25519 and the store are
 * always offered; EC, RSA and X25519 only when @openssl_heap_secret, since
 * their math keeps the key in OpenSSL's heap: elsewhere libcrypto then
 * uses the other providers for them, as if secretmem were not loaded.
 */
const OSSL_ALGORITHM* secretmem_algorithms(int operation_id, int openssl_heap_secret);

/* Once per provider instance: the crypto library the keys are used with. */
int secretmem_algorithms_init(void);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_ALGORITHMS_H */
