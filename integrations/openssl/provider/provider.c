/* SPDX-License-Identifier: MIT */
/*
 * The provider's entry point and its own parameters.  Each provider
 * instance has a child library context, so that whatever it delegates to
 * other providers (the default provider's EC and RSA math, its decoders)
 * comes from the configuration of the library context that loaded it.
 */
#include "secretmem_provider.h"

#include "algorithms.h"
#include "errors.h"
#include "openssl_heap_probe.h"
#include "provider_ctx.h"
#include "tls_groups.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <stdlib.h>

#ifndef SECRETMEM_VERSION
#error "SECRETMEM_VERSION must be defined by the build"
#endif

/* Where OpenSSL's heap is: the secret heap's backend, or "ordinary" (then
 * only Ed25519 keys are held: openssl_heap_probe.h). */
static const char openssl_heap_param[] = "secretmem-openssl-heap";

static const OSSL_PARAM* gettable_params(void* provctx)
{
    (void)provctx;
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
        OSSL_PARAM_DEFN(openssl_heap_param, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_END,
    };
    return table;
}

static int get_params(void* provctx, OSSL_PARAM params[])
{
    const struct secretmem_provider_ctx* ctx = provctx;
    OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "secretmem: private keys in secret memory"))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, SECRETMEM_VERSION))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "secretmem " SECRETMEM_VERSION))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1))
        return 0;
    p = OSSL_PARAM_locate(params, openssl_heap_param);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(
                         p, ctx->openssl_heap_secret ? ctx->openssl_heap_backend : "ordinary"))
        return 0;
    return 1;
}

/* Only what needs the private key: everything else is left to the other
 * providers (digests, ciphers, encoders, public-key operations). */
static const OSSL_ALGORITHM* query_operation(void* provctx, int operation_id, int* no_cache)
{
    const struct secretmem_provider_ctx* ctx = provctx;
    *no_cache = 0;
    return secretmem_algorithms(operation_id, ctx->openssl_heap_secret);
}

static void teardown(void* provctx)
{
    struct secretmem_provider_ctx* ctx = provctx;
    OSSL_LIB_CTX_free(ctx->libctx);
    free(ctx);
}

static const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query_operation},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))secretmem_reason_strings},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))secretmem_get_capabilities},
    {0, NULL},
};

int secretmem_provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                            const OSSL_DISPATCH** out, void** provider_ctx)
{
    if (!secretmem_algorithms_init())
        return 0;
    secretmem_errors_init(in);
    struct secretmem_provider_ctx* ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return 0;
    ctx->handle = handle;
    const struct openssl_heap_verdict heap = openssl_heap_probe();
    ctx->openssl_heap_secret = heap.secret;
    ctx->openssl_heap_backend = heap.backend;
    ctx->libctx = OSSL_LIB_CTX_new_child(handle, in);
    if (ctx->libctx == NULL) {
        free(ctx);
        return 0;
    }
    *out = provider_functions;
    *provider_ctx = ctx;
    return 1;
}
