// SPDX-License-Identifier: MIT
#include "ed25519_key.hpp"

#include <secretmem/backend.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace secretmem::provider {
namespace {

constexpr std::size_t secret_size = crypto_sign_ed25519_SECRETKEYBYTES;
static_assert(secret_size == ed25519_key::seed_size + ed25519_key::public_size);

} // namespace

// A key whose secret half `derive` writes into a fresh region, with the
// public key beside it; the write window is closed before the key moves.
template <typename Derive>
ed25519_key ed25519_key::make(Derive&& derive)
{
    ed25519_key key;
    key.secret_ = region::allocate(secret_size);
    {
        auto w = key.secret_.write();
        if (derive(key.public_.data(), reinterpret_cast<unsigned char*>(w.data())) != 0)
            throw std::runtime_error("libsodium could not make an Ed25519 key");
    }
    return key;
}

ed25519_key ed25519_key::generate()
{
    return make(
        [](unsigned char* pk, unsigned char* sk) { return crypto_sign_ed25519_keypair(pk, sk); });
}

ed25519_key ed25519_key::from_seed(std::span<const unsigned char, seed_size> seed)
{
    return make([seed](unsigned char* pk, unsigned char* sk) {
        return crypto_sign_ed25519_seed_keypair(pk, sk, seed.data());
    });
}

ed25519_key ed25519_key::from_public(std::span<const unsigned char, public_size> public_key)
{
    ed25519_key key;
    std::copy(public_key.begin(), public_key.end(), key.public_.begin());
    return key;
}

const char* ed25519_key::backend_name() const
{
    if (!secret_)
        return nullptr;
    return to_string(secret_.backend()).data();
}

bool ed25519_key::sign(std::span<const unsigned char> message,
                       std::span<unsigned char, signature_size> signature) const
{
    if (!secret_)
        return false;
    const auto r = secret_.read();
    const auto* sk = reinterpret_cast<const unsigned char*>(r.data());
    unsigned long long length = 0;
    return crypto_sign_ed25519_detached(signature.data(), &length, message.data(), message.size(),
                                        sk) == 0 &&
           length == signature_size;
}

} // namespace secretmem::provider
