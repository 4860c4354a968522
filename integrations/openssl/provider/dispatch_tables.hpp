// SPDX-License-Identifier: MIT
// Every algorithm's dispatch table, for the provider's algorithm lists
// (algorithms.cpp).
#pragma once

#include "delegated_key.hpp"

#include <openssl/core.h>

namespace secretmem::provider {

// Ed25519, with libsodium on keys in SDK regions: usable in any process.
extern const OSSL_DISPATCH ed25519_keymgmt_functions[];
extern const OSSL_DISPATCH ed25519_signature_functions[];

// Keys whose math the default provider does: only where OpenSSL's heap is
// secret (delegated_key.hpp).
const OSSL_DISPATCH* delegated_keymgmt(const delegated_algorithm& algorithm);
const OSSL_DISPATCH* delegated_signature(const delegated_algorithm& algorithm);
const OSSL_DISPATCH* delegated_keyexch(const delegated_algorithm& algorithm);

// DER private keys into keys held here (decoder.cpp): PKCS#8
// PrivateKeyInfo, or the type-specific forms.
const OSSL_DISPATCH* private_key_decoder(bool pkcs8_structure);

// The secretmem: URI scheme (store.cpp).
const OSSL_DISPATCH* secretmem_store();

} // namespace secretmem::provider
