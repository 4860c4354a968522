/* SPDX-License-Identifier: MIT */
/*
 * The secretmem OpenSSL 3 provider, for programs that add it built in:
 *
 *     OSSL_PROVIDER_add_builtin(libctx, "secretmem", secretmem_provider_init);
 *     OSSL_PROVIDER* p = OSSL_PROVIDER_load(libctx, "secretmem");
 *
 * The same provider loads as a module (secretmem.so) from openssl.cnf or
 * with `-provider-path DIR -provider secretmem`.
 *
 * Work in progress: Ed25519 only (key management and signatures, the
 * private key in secret memory and never exported); no decoder or store.
 */
#ifndef SECRETMEM_PROVIDER_H
#define SECRETMEM_PROVIDER_H

#include <openssl/core.h>

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((visibility("default"))) int secretmem_provider_init(const OSSL_CORE_HANDLE* handle,
                                                                   const OSSL_DISPATCH* in,
                                                                   const OSSL_DISPATCH** out,
                                                                   void** provider_ctx);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_H */
