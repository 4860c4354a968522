/* SPDX-License-Identifier: MIT */
/* The entry point OpenSSL looks for in a provider module (secretmem.so). */
#include "secretmem_provider.h"

__attribute__((visibility("default"))) int OSSL_provider_init(const OSSL_CORE_HANDLE* handle,
                                                              const OSSL_DISPATCH* in,
                                                              const OSSL_DISPATCH** out,
                                                              void** provider_ctx)
{
    return secretmem_provider_init(handle, in, out, provider_ctx);
}
