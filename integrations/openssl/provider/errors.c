/* SPDX-License-Identifier: MIT */
#include "errors.h"
#include "provider_ctx.h"

#include <openssl/core_dispatch.h>

#include <stdarg.h>
#include <stddef.h>

/* The core's functions are the same for every instance of the provider. */
static OSSL_FUNC_core_new_error_fn* core_new_error;
static OSSL_FUNC_core_set_error_debug_fn* core_set_error_debug;
static OSSL_FUNC_core_vset_error_fn* core_vset_error;

void secretmem_errors_init(const OSSL_DISPATCH* in)
{
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            core_new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            core_vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
}

const OSSL_ITEM* secretmem_reason_strings(void* provctx)
{
    (void)provctx;
    static const OSSL_ITEM reasons[] = {
        {SECRETMEM_R_OPENSSL_HEAP_NOT_SECRET,
         "OpenSSL's heap is not secret memory in this process, so this key would be copied "
         "into readable memory: run the program under libsecretmem-preload.so "
         "(docs/provider.md)"},
        {SECRETMEM_R_NO_SECRET_MEMORY,
         "no secret memory could be had for the key (see the reason given; often "
         "RLIMIT_MEMLOCK: raise it with ulimit -l or LimitMEMLOCK=)"},
        {SECRETMEM_R_PRIVATE_KEY_STAYS,
         "the private key stays in secret memory: it cannot be exported or read out"},
        {SECRETMEM_R_UNSUPPORTED_KEY,
         "unsupported key: secretmem holds EC P-256, P-384 and P-521, RSA 2048 to 4096 bits, "
         "Ed25519 and X25519 keys"},
        {SECRETMEM_R_KEY_FILE_UNREADABLE, "the key file cannot be read"},
        {SECRETMEM_R_KEY_FILE_NOT_A_KEY,
         "the key file holds no private key OpenSSL can decode (corrupt, truncated, or not a "
         "PEM or DER private key)"},
        {SECRETMEM_R_WRONG_PASSPHRASE,
         "the encrypted key file could not be decrypted: wrong passphrase, or the file is "
         "corrupt"},
        {SECRETMEM_R_OPERATION_FAILED, "the operation with the key failed"},
        {0, NULL},
    };
    return reasons;
}

void secretmem_raise(const void* provctx, enum secretmem_reason reason, const char* format, ...)
{
    const struct secretmem_provider_ctx* ctx = provctx;
    if (core_new_error == NULL || core_set_error_debug == NULL || core_vset_error == NULL ||
        ctx == NULL)
        return;
    core_new_error(ctx->handle);
    core_set_error_debug(ctx->handle, NULL, 0, NULL);
    va_list args;
    va_start(args, format);
    core_vset_error(ctx->handle, (uint32_t)reason, format, args);
    va_end(args);
}
