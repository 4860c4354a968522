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
 * Ed25519 keys are held in any process; EC, RSA and X25519 keys only where
 * OpenSSL's heap is secret (libsecretmem-preload.so).  See docs/provider.md.
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
