/* SPDX-License-Identifier: MIT */
/* What the provider offers, operation by operation (query_operation). */
#ifndef SECRETMEM_PROVIDER_ALGORITHMS_H
#define SECRETMEM_PROVIDER_ALGORITHMS_H

#include <openssl/core.h>

#ifdef __cplusplus
extern "C" {
#endif

extern const OSSL_ALGORITHM secretmem_keymgmt_algorithms[];
extern const OSSL_ALGORITHM secretmem_signature_algorithms[];

/* Once per provider instance: the crypto library the keys are used with. */
int secretmem_algorithms_init(void);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_ALGORITHMS_H */
