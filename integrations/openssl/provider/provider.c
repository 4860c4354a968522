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

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SECRETMEM_VERSION
#error "SECRETMEM_VERSION must be defined by the build"
#endif

/* Where OpenSSL's heap is: the secret heap's backend, or "ordinary" (then
 * only Ed25519 keys are held: openssl_heap_probe.h). */
static const char openssl_heap_param[] = "secretmem-openssl-heap";

/*
 * `ordinary-heap` in the provider's configuration section says what to do
 * where OpenSSL's heap is not secret memory (the program does not run under
 * libsecretmem-preload.so), which leaves every private key libcrypto
 * decodes, and the EC, RSA and X25519 keys it computes with, in readable
 * memory whichever provider holds them:
 *   refuse (secretmem.cnf sets it): the program stops, with the reason on
 *          stderr and exit status 78 (EX_CONFIG).  Failing the provider's
 *          initialisation would not do: OpenSSL 3.0 carries on without a
 *          configured provider that fails, and libcrypto would load the key
 *          itself, readable, which is the silent downgrade this forbids;
 *   allow: the provider starts, offers Ed25519 and its store only, and says
 *          once on stderr that keys stay readable;
 * unset (a program that loads the provider itself): as allow, without the
 * warning; its store still refuses keys with the reason.
 */
enum ordinary_heap_setting { ORDINARY_HEAP_UNSET, ORDINARY_HEAP_REFUSE, ORDINARY_HEAP_ALLOW };

static const char ordinary_heap_param[] = "ordinary-heap";

static void say(const char* text)
{
    (void)!fwrite(text, 1, strlen(text), stderr);
}

/* 1 and *setting set, or 0 for a value the provider does not know. */
static int read_ordinary_heap_setting(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                                      enum ordinary_heap_setting* setting)
{
    OSSL_FUNC_core_get_params_fn* core_get_params = NULL;
    for (; in->function_id != 0; in++) {
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            core_get_params = OSSL_FUNC_core_get_params(in);
    }
    char* value = NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr(ordinary_heap_param, &value, 0),
        OSSL_PARAM_END,
    };
    *setting = ORDINARY_HEAP_UNSET;
    if (core_get_params == NULL || !core_get_params(handle, params) || value == NULL)
        return 1;
    if (strcmp(value, "refuse") == 0) {
        *setting = ORDINARY_HEAP_REFUSE;
        return 1;
    }
    if (strcmp(value, "allow") == 0) {
        *setting = ORDINARY_HEAP_ALLOW;
        return 1;
    }
    say("secretmem provider: ordinary-heap = ");
    say(value);
    say(" in its configuration section: set it to 'refuse' or 'allow' (docs/provider.md)\n");
    return 0;
}

/* Where OpenSSL's heap is not secret: carry on, warned once, or stop. */
static void check_ordinary_heap(enum ordinary_heap_setting setting)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    enum { EXIT_CONFIG = 78 }; /* sysexits.h's EX_CONFIG, as systemd names it */
    if (setting == ORDINARY_HEAP_UNSET || atomic_flag_test_and_set(&said))
        return;
    if (setting == ORDINARY_HEAP_ALLOW) {
        say("secretmem provider: WARNING: OpenSSL's heap is not secret memory in this process "
            "(it does not run under libsecretmem-preload.so), and ordinary-heap = allow: "
            "private keys are copied through readable memory, and EC, RSA and X25519 keys are "
            "left to the other providers\n");
        return;
    }
    say("secretmem provider: stopping the program: OpenSSL's heap is not secret memory in this "
        "process, so every private key it loads would be readable. Run it under "
        "libsecretmem-preload.so (secretmem run, or secretmem enable for a service), or set "
        "ordinary-heap = allow in the provider's configuration section to accept that\n");
    _exit(EXIT_CONFIG);
}

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
    enum ordinary_heap_setting setting = ORDINARY_HEAP_UNSET;
    const struct openssl_heap_verdict heap = openssl_heap_probe();
    ctx->openssl_heap_secret = heap.secret;
    ctx->openssl_heap_backend = heap.backend;
    if (!read_ordinary_heap_setting(handle, in, &setting)) {
        free(ctx);
        return 0;
    }
    if (!heap.secret)
        check_ordinary_heap(setting);
    ctx->libctx = OSSL_LIB_CTX_new_child(handle, in);
    if (ctx->libctx == NULL) {
        free(ctx);
        return 0;
    }
    *out = provider_functions;
    *provider_ctx = ctx;
    return 1;
}
