// SPDX-License-Identifier: MIT
#include "algorithms.h"

#include "dispatch_tables.hpp"

#include <openssl/core_dispatch.h>

#include <sodium.h>

namespace secretmem::provider {
namespace {

constexpr const char* properties = "provider=secretmem";

constexpr const char* ed25519_names = "ED25519:1.3.101.112";
constexpr const char* ec_names = "EC:id-ecPublicKey:1.2.840.10045.2.1";
constexpr const char* rsa_names = "RSA:rsaEncryption:1.2.840.113549.1.1.1";
constexpr const char* x25519_names = "X25519:1.3.101.110";

const OSSL_ALGORITHM keymgmt_everywhere[] = {
    {ed25519_names, properties, ed25519_keymgmt_functions, "Ed25519 keys in secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM keymgmt_with_secret_heap[] = {
    {ed25519_names, properties, ed25519_keymgmt_functions, "Ed25519 keys in secret memory"},
    {ec_names, properties, delegated_keymgmt(ec_algorithm), "EC keys in secret memory"},
    {rsa_names, properties, delegated_keymgmt(rsa_algorithm), "RSA keys in secret memory"},
    {x25519_names, properties, delegated_keymgmt(x25519_algorithm), "X25519 keys in secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM signature_everywhere[] = {
    {ed25519_names, properties, ed25519_signature_functions,
     "Ed25519 with the key in secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM signature_with_secret_heap[] = {
    {ed25519_names, properties, ed25519_signature_functions,
     "Ed25519 with the key in secret memory"},
    {"ECDSA", properties, delegated_signature(ec_algorithm), "ECDSA with the key in secret memory"},
    {rsa_names, properties, delegated_signature(rsa_algorithm),
     "RSA signatures with the key in secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM keyexch_with_secret_heap[] = {
    {"ECDH", properties, delegated_keyexch(ec_algorithm), "ECDH with the key in secret memory"},
    {x25519_names, properties, delegated_keyexch(x25519_algorithm),
     "X25519 with the key in secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

// Offered only with the secret heap, like the key types they produce.
const OSSL_ALGORITHM decoder_with_secret_heap[] = {
    {ed25519_names, "provider=secretmem,input=der,structure=PrivateKeyInfo",
     private_key_decoder(true), "Ed25519 private keys into secret memory"},
    {ec_names, "provider=secretmem,input=der,structure=PrivateKeyInfo", private_key_decoder(true),
     "EC private keys into secret memory"},
    {ec_names, "provider=secretmem,input=der,structure=type-specific", private_key_decoder(false),
     "EC private keys into secret memory"},
    {rsa_names, "provider=secretmem,input=der,structure=PrivateKeyInfo", private_key_decoder(true),
     "RSA private keys into secret memory"},
    {rsa_names, "provider=secretmem,input=der,structure=type-specific", private_key_decoder(false),
     "RSA private keys into secret memory"},
    {x25519_names, "provider=secretmem,input=der,structure=PrivateKeyInfo",
     private_key_decoder(true), "X25519 private keys into secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM store[] = {
    {"secretmem", properties, secretmem_store(), "key files read into secret memory"},
    {nullptr, nullptr, nullptr, nullptr},
};

} // namespace
} // namespace secretmem::provider

extern "C" {

const OSSL_ALGORITHM* secretmem_algorithms(int operation_id, int openssl_heap_secret)
{
    using namespace secretmem::provider;
    const bool delegated = openssl_heap_secret != 0;
    switch (operation_id) {
    case OSSL_OP_KEYMGMT:
        return delegated ? keymgmt_with_secret_heap : keymgmt_everywhere;
    case OSSL_OP_SIGNATURE:
        return delegated ? signature_with_secret_heap : signature_everywhere;
    case OSSL_OP_KEYEXCH:
        return delegated ? keyexch_with_secret_heap : nullptr;
    case OSSL_OP_DECODER:
        return delegated ? decoder_with_secret_heap : nullptr;
    case OSSL_OP_STORE:
        return store;
    default:
        return nullptr;
    }
}

int secretmem_algorithms_init(void)
{
    return sodium_init() >= 0 ? 1 : 0;
}

} // extern "C"
