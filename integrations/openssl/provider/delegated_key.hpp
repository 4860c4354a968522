// SPDX-License-Identifier: MIT
// A key whose math another provider (default, or fips) does, held in that
// provider's own key object.  That object, and every copy libcrypto makes
// of the key while decoding and using it, is in OpenSSL's heap: so such a
// key is accepted only where that heap is secret memory
// (openssl_heap_probe.h): the provider offers these key types nowhere else
// (algorithms.cpp), so a delegated key never exists in such a process.  Its
// private half never leaves through this provider (no private export, no
// private parameters).
#pragma once

#include "provider_ctx.h"

#include <openssl_ptr.hpp>

#include <openssl/core_dispatch.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace secretmem::provider {

// One key type whose math is delegated.
struct delegated_algorithm {
    const char* name;           // OpenSSL's key type: "EC", "RSA", "X25519"
    const char* signature_name; // its signature algorithm, or nullptr
    const char* keyexch_name;   // its key exchange, or nullptr
    // Whether a private key of this type is one secretmem holds (curve,
    // size).  Public keys (a peer's, a certificate's) are not limited.
    bool (*accepts)(const EVP_PKEY* key);
    // The keymgmt's import and export types, public and key pair.
    const OSSL_PARAM* public_params;
    const OSSL_PARAM* keypair_params;
};

// The key parameters anyone may read or set: public ones only.
extern const OSSL_PARAM delegated_gettable_params[];
extern const OSSL_PARAM delegated_settable_params[];

extern const delegated_algorithm ec_algorithm;
extern const delegated_algorithm rsa_algorithm;
extern const delegated_algorithm x25519_algorithm;

// Digest-sign contexts of one key, initialised once per digest and copied
// for each signature: an init fetches the digest and the signature and sets
// both up, where a copy only duplicates them (measured: ECDSA P-256 signs
// at 0.90x the default provider with an init per signature).
class sign_templates {
public:
    // A context ready to sign with `key` and digest `mdname` (nullptr: the
    // key's default); null on failure.
    [[nodiscard]] openssl::md_ctx_ptr copy(const secretmem_provider_ctx* provctx, EVP_PKEY* key,
                                           const char* mdname);

private:
    std::mutex lock_;
    std::vector<std::pair<std::string, openssl::md_ctx_ptr>> contexts_;
};

// The keymgmt's keydata and the operations' provkey.
struct delegated_key {
    const secretmem_provider_ctx* provctx;
    const delegated_algorithm* algorithm;
    openssl::pkey_ptr pkey{}; // the delegate's key; null until generated or imported
    int contents = 0;         // OSSL_KEYMGMT_SELECT_* bits the key holds
    // A cache: filled by signatures, which see the key as const.
    mutable sign_templates signing{};

    [[nodiscard]] bool has_private() const noexcept
    {
        return (contents & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0;
    }
};

// Whether a new key fits what `algorithm` accepts; when not, the error
// queue says so.
[[nodiscard]] bool accept(const delegated_key& key);

} // namespace secretmem::provider
