/* SPDX-License-Identifier: MIT */
/*
 * The provider's entries on OpenSSL's error queue.  Each reason says what
 * went wrong and what to do, in words a person acting on it needs; the
 * detail (which file, which key type) goes in the entry's data.
 */
#ifndef SECRETMEM_PROVIDER_ERRORS_H
#define SECRETMEM_PROVIDER_ERRORS_H

#include <openssl/core.h>

#ifdef __cplusplus
extern "C" {
#endif

enum secretmem_reason {
    SECRETMEM_R_OPENSSL_HEAP_NOT_SECRET = 1,
    SECRETMEM_R_NO_SECRET_MEMORY,
    SECRETMEM_R_PRIVATE_KEY_STAYS,
    SECRETMEM_R_UNSUPPORTED_KEY,
    SECRETMEM_R_KEY_FILE_UNREADABLE,
    SECRETMEM_R_KEY_FILE_NOT_A_KEY,
    SECRETMEM_R_WRONG_PASSPHRASE,
    SECRETMEM_R_OPERATION_FAILED,
};

/* Keep the core's error functions (from the provider's init). */
void secretmem_errors_init(const OSSL_DISPATCH* in);

/* The reason strings OpenSSL prints (OSSL_FUNC_PROVIDER_GET_REASON_STRINGS). */
const OSSL_ITEM* secretmem_reason_strings(void* provctx);

/* Put an entry on the calling thread's error queue: @reason, with a detail
 * formatted from @format (printf-style; NULL for none). */
void secretmem_raise(const void* provctx, enum secretmem_reason reason, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_ERRORS_H */
