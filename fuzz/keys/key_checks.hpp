// SPDX-License-Identifier: MIT
// What must hold of a key the secretmem provider took from a fuzzed file,
// judged against the key the default provider alone decodes from it.
#pragma once

#include <openssl/types.h>

#include <string>

namespace secretmem::fuzz {

// "secretmem", "default"...
[[nodiscard]] std::string provider_of(const EVP_PKEY* key);

// `held` is the provider's: in a kernel backend, and the same key as
// `reference` (the default provider's decoding of the same input), when
// there is one.  With `use`, it also signs and derives: for Ed25519, X25519
// and ECDH the result must match the reference key's, and so must an ECDSA
// or RSA signature when the reference key passes its pairwise check.
void check_held_key(EVP_PKEY* held, EVP_PKEY* reference, bool use);

} // namespace secretmem::fuzz
