// SPDX-License-Identifier: MIT
// The first private key an OSSL_STORE yields: how the tests and the fuzzer
// load a key through the secretmem: store, as an application would.
#pragma once

#include "openssl_ptr.hpp"

#include <openssl/store.h>

#include <memory>

namespace secretmem::openssl {

struct store_close {
    void operator()(OSSL_STORE_CTX* store) const { OSSL_STORE_close(store); }
};
using store_ptr = std::unique_ptr<OSSL_STORE_CTX, store_close>;
using store_info_ptr =
    std::unique_ptr<OSSL_STORE_INFO, openssl_free<OSSL_STORE_INFO, OSSL_STORE_INFO_free>>;

// Null if the store has no key or fails; its errors stay on the queue.
[[nodiscard]] inline pkey_ptr first_pkey(OSSL_STORE_CTX* store)
{
    pkey_ptr key;
    while (store != nullptr && !key && OSSL_STORE_eof(store) == 0) {
        const store_info_ptr info(OSSL_STORE_load(store));
        if (!info)
            break;
        key.reset(OSSL_STORE_INFO_get1_PKEY(info.get()));
    }
    return key;
}

} // namespace secretmem::openssl
