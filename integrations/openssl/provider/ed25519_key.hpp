// SPDX-License-Identifier: MIT
// An Ed25519 key whose private half lives in a secret region from the
// SDK's fail-closed policy, never in memory OpenSSL or libc allocated.
// libsodium signs with it in place: its secret key is the 32-byte seed
// followed by the public key, and libsodium allocates nothing and wipes
// what it derives from the seed.
#pragma once

#include "provider_ctx.h"

#include <secretmem/region.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>

namespace secretmem::provider {

class ed25519_key {
public:
    static constexpr std::size_t seed_size = 32;
    static constexpr std::size_t public_size = 32;
    static constexpr std::size_t signature_size = 64;

    // A new key pair, generated inside the region.  Throws secretmem::error
    // when no secret memory can be had.
    [[nodiscard]] static ed25519_key generate();
    // From a seed (the private key as OpenSSL and RFC 8032 write it); the
    // public key is derived, never taken on trust.
    [[nodiscard]] static ed25519_key from_seed(std::span<const unsigned char, seed_size> seed);
    // A public key only: it can be matched and exported, not sign.
    [[nodiscard]] static ed25519_key
    from_public(std::span<const unsigned char, public_size> public_key);

    [[nodiscard]] bool has_private() const noexcept { return static_cast<bool>(secret_); }
    [[nodiscard]] std::span<const unsigned char, public_size> public_key() const noexcept
    {
        return public_;
    }
    // Which backend holds the private half ("native", "fd", "locked"), if any.
    [[nodiscard]] const char* backend_name() const;

    // Sign `message` (Ed25519 signs the whole message, no digest).
    [[nodiscard]] bool sign(std::span<const unsigned char> message,
                            std::span<unsigned char, signature_size> signature) const;

private:
    ed25519_key() = default;
    template <typename Derive>
    static ed25519_key make(Derive&& derive);

    region secret_; // libsodium's 64-byte secret key: seed || public key
    std::array<unsigned char, public_size> public_{};
};

// The key object OpenSSL holds (keymgmt's keydata, the signature's
// provkey): empty until imported or generated.
struct ed25519_key_object {
    std::optional<ed25519_key> key;
    const secretmem_provider_ctx* provctx = nullptr; // for the error queue
};

} // namespace secretmem::provider
