// SPDX-License-Identifier: MIT
#include "ed25519_key.hpp"

#include <secretmem/backend.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace secretmem::provider {
namespace {

constexpr std::size_t secret_size = crypto_sign_ed25519_SECRETKEYBYTES;
static_assert(secret_size == ed25519_key::seed_size + ed25519_key::public_size);

} // namespace

ed25519_key ed25519_key::generate()
{
    ed25519_key key;
    key.secret_ = region::allocate(secret_size);
    auto w = key.secret_.write();
    auto* sk = reinterpret_cast<unsigned char*>(w.data());
    if (crypto_sign_ed25519_keypair(key.public_.data(), sk) != 0)
        throw std::runtime_error("crypto_sign_ed25519_keypair failed");
    return key;
}

ed25519_key ed25519_key::from_seed(std::span<const unsigned char, seed_size> seed)
{
    ed25519_key key;
    key.secret_ = region::allocate(secret_size);
    auto w = key.secret_.write();
    auto* sk = reinterpret_cast<unsigned char*>(w.data());
    if (crypto_sign_ed25519_seed_keypair(key.public_.data(), sk, seed.data()) != 0)
        throw std::runtime_error("crypto_sign_ed25519_seed_keypair failed");
    return key;
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
