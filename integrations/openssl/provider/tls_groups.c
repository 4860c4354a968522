/* SPDX-License-Identifier: MIT */
#include "tls_groups.h"

#include "provider_ctx.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/prov_ssl.h>

#include <string.h>

struct tls_group {
    const char* name;     /* as TLS names it */
    const char* internal; /* as OpenSSL's key management names it */
    const char* algorithm;
    unsigned int id; /* IANA TLS Supported Groups */
    unsigned int security_bits;
};

static const struct tls_group groups[] = {
    {"x25519", "X25519", "X25519", 29, 128},
    {"secp256r1", "prime256v1", "EC", 23, 128},
    {"secp384r1", "secp384r1", "EC", 24, 192},
    {"secp521r1", "secp521r1", "EC", 25, 256},
};

static int announce(const struct tls_group* g, OSSL_CALLBACK* cb, void* arg)
{
    unsigned int id = g->id;
    unsigned int bits = g->security_bits;
    int min_tls = TLS1_VERSION;
    int max_tls = 0;
    int min_dtls = DTLS1_VERSION;
    int max_dtls = 0;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME, (char*)g->name, strlen(g->name)),
        OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL, (char*)g->internal,
                               strlen(g->internal)),
        OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG, (char*)g->algorithm,
                               strlen(g->algorithm)),
        OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &id),
        OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &bits),
        OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &min_tls),
        OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &max_tls),
        OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &min_dtls),
        OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &max_dtls),
        OSSL_PARAM_END,
    };
    return cb(params, arg);
}

int secretmem_get_capabilities(void* provctx, const char* capability, OSSL_CALLBACK* cb, void* arg)
{
    const struct secretmem_provider_ctx* ctx = provctx;
    if (strcmp(capability, "TLS-GROUP") != 0)
        return 0;
    /* Without the secret heap the key types are not offered: nothing to name. */
    if (!ctx->openssl_heap_secret)
        return 1;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        if (!announce(&groups[i], cb, arg))
            return 0;
    }
    return 1;
}
