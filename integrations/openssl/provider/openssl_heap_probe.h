/* SPDX-License-Identifier: MIT */
/*
 * Whether OpenSSL's heaps are secret in this process.
 *
 * A key whose math runs in the default provider lives in that provider's
 * objects, which libcrypto allocates through OPENSSL_malloc() and
 * OPENSSL_secure_malloc(), and libcrypto copies it through the same heap
 * as it decodes and uses it.  Such a key is out of the direct map only when
 * both heaps are the secret heap, which libsecretmem-preload arranges
 * before libcrypto's first allocation (integrations/openssl/heap).  A
 * provider, loaded long after that first allocation, can only check.
 *
 * The check is an effect, not a setting: one block from each heap, asked of
 * the secret heap (secretmem_owns, found at run time: the provider must not
 * link the heap, whose static TLS a dlopen()ed module cannot get).
 */
#ifndef SECRETMEM_PROVIDER_OPENSSL_HEAP_PROBE_H
#define SECRETMEM_PROVIDER_OPENSSL_HEAP_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

struct openssl_heap_verdict {
    int secret;          /* 1: both heaps hand out secret memory */
    const char* backend; /* the secret heap's backend, when secret */
};

struct openssl_heap_verdict openssl_heap_probe(void);

#ifdef __cplusplus
}
#endif

#endif /* SECRETMEM_PROVIDER_OPENSSL_HEAP_PROBE_H */
