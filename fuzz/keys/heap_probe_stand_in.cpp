// SPDX-License-Identifier: MIT
// What the provider's heap probe (integrations/openssl/provider/
// openssl_heap_probe.c) looks up at run time, answered by the fuzzer: "yes,
// OpenSSL's heaps are secret".  Then the provider offers everything it
// offers under libsecretmem-preload.so (the store's decoding, the decoder,
// EC, RSA and X25519 keys) while OpenSSL's heap stays ASan's, where
// AddressSanitizer sees every overflow and use after free in it and
// LeakSanitizer every OpenSSL object the provider leaks.  Under the preload
// OpenSSL's heap would be the secret heap, out of the sanitizers' sight
// (fuzz/README.md).
//
// Exported from the executable (export_dynamic) so that the provider's
// dlsym(RTLD_DEFAULT) finds these; the fuzzer links no secret heap.
#include <secretmem/alloc.h>

extern "C" {

SECRETMEM_ALLOC_API int secretmem_owns(const void* /*ptr*/)
{
    return 1;
}

SECRETMEM_ALLOC_API int secretmem_get_heap_stats(struct secretmem_heap_stats* out)
{
    if (out == nullptr)
        return -1;
    *out = {};
    out->backend = "fuzz-stand-in";
    return 0;
}

} // extern "C"
