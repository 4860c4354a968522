/* SPDX-License-Identifier: MIT */
/*
 * What every algorithm of one provider instance shares: the library
 * context it fetches the other providers' algorithms from, and whether
 * OpenSSL's own heaps are secret in this process, which decides whether
 * keys whose math is delegated to those providers may be held at all.
 */
#ifndef SECRETMEM_PROVIDER_CTX_H
#define SECRETMEM_PROVIDER_CTX_H

#include <openssl/core.h>
#include <openssl/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct secretmem_provider_ctx {
    const OSSL_CORE_HANDLE* handle;
    /* A child of the context that loaded the provider: it sees the same
     * providers (default, fips) as the application. */
    OSSL_LIB_CTX* libctx;
    /* 1 when OPENSSL_malloc() and OPENSSL_secure_malloc() both return
     * secret memory (openssl_heap_probe.h). */
    int openssl_heap_secret;
    /* The secret heap's backend ("native", "fd", "locked") when it is. */
    const char* openssl_heap_backend;
};

/* How delegated keys name the implementations they delegate to: any
 * provider but this one. */
#define SECRETMEM_DELEGATE_PROPQ "provider!=secretmem"

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_CTX_H */
