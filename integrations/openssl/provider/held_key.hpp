// SPDX-License-Identifier: MIT
// A key another provider decoded, moved into an object this provider
// holds, and handed to OpenSSL by reference (OSSL_OBJECT_PARAM_REFERENCE,
// which the keymgmt's load() takes over): for the store and the decoder.
#pragma once

#include "provider_ctx.h"

#include <openssl_ptr.hpp>

#include <openssl/core.h>

namespace secretmem::provider {

struct held_key {
    const char* type = nullptr; // the keymgmt's name: "EC", "ED25519"...
    void* object = nullptr;     // null when the key could not be held
    void (*discard)(void*) = nullptr;
};

// `key` (decoded from `what`, for the error messages) as an object of this
// provider: Ed25519's seed copied into an SDK region, the other types kept
// as the delegate's key.  On failure the error queue says why.
[[nodiscard]] held_key hold(const secretmem_provider_ctx* provctx, openssl::pkey_ptr key,
                            const char* what);

// While one is alive, this thread decodes with the other providers'
// decoders, and this provider's decoder declines: OpenSSL 3.0 offers a
// decoder context every provider's decoders, whatever its property query,
// so it would be called again, without end, and a key would be wrapped in
// a key of this same provider.
class decoding_elsewhere {
public:
    decoding_elsewhere() { active_ = true; }
    decoding_elsewhere(const decoding_elsewhere&) = delete;
    decoding_elsewhere& operator=(const decoding_elsewhere&) = delete;
    decoding_elsewhere(decoding_elsewhere&&) = delete;
    decoding_elsewhere& operator=(decoding_elsewhere&&) = delete;
    ~decoding_elsewhere() { active_ = false; }
    [[nodiscard]] static bool active() noexcept { return active_; }

private:
    static thread_local bool active_;
};

// Hand `held` to `object_cb`; discards it if nobody took it.
bool give(held_key& held, OSSL_CALLBACK* object_cb, void* object_cbarg);

} // namespace secretmem::provider
