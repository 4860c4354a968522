// SPDX-License-Identifier: MIT
// An encrypted key file names its own key derivation cost (PBKDF2
// iterations, scrypt's N, r and p), and OpenSSL pays whatever it asks: a
// mutated count of 2^31 is minutes of work, a timeout that says nothing
// about the provider.  Inputs asking for more than a real key file does
// are skipped.
#pragma once

#include <cstdint>
#include <span>

namespace secretmem::fuzz {

// False when some EncryptedPrivateKeyInfo in `file` (DER, or any PEM block
// of it) asks for a derivation costlier than the bounds.
[[nodiscard]] bool kdf_cost_affordable(std::span<const std::uint8_t> file);

} // namespace secretmem::fuzz
