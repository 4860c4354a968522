// SPDX-License-Identifier: MIT
// The library contexts the key fuzzer decodes in, set up once.
#pragma once

#include <openssl/types.h>

namespace secretmem::fuzz {

struct openssl_env {
    // The default provider, then the secretmem module (from the build dir),
    // loaded as secretmem.cnf loads them: the last one's decoder is tried
    // first.
    OSSL_LIB_CTX* app = nullptr;
    // The default provider alone: what OpenSSL itself makes of an input.
    OSSL_LIB_CTX* reference = nullptr;
};

// Aborts, saying why, if the module cannot be loaded or does not offer
// what it offers with a secret OpenSSL heap.
[[nodiscard]] const openssl_env& environment();

} // namespace secretmem::fuzz
