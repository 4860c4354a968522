// SPDX-License-Identifier: MIT
#include "delegated_key.hpp"

#include "errors.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace secretmem::provider {
namespace {

bool accepts_ec(const EVP_PKEY* key)
{
    std::array<char, 32> group{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &length) != 1)
        return false;
    const std::string_view name(group.data(), length);
    return name == "prime256v1" || name == "P-256" || name == "secp384r1" || name == "P-384" ||
           name == "secp521r1" || name == "P-521";
}

bool accepts_rsa(const EVP_PKEY* key)
{
    const int bits = EVP_PKEY_get_bits(key);
    return bits >= 2048 && bits <= 4096;
}

bool accepts_any(const EVP_PKEY* /*key*/)
{
    return true;
}

const OSSL_PARAM ec_public[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, nullptr, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
    OSSL_PARAM_END,
};
const OSSL_PARAM ec_keypair[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, nullptr, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0),
    OSSL_PARAM_END,
};
const OSSL_PARAM rsa_public[] = {
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
    OSSL_PARAM_END,
};
const OSSL_PARAM rsa_keypair[] = {
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_D, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_FACTOR1, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_FACTOR2, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_EXPONENT1, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_EXPONENT2, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, nullptr, 0),
    OSSL_PARAM_END,
};
const OSSL_PARAM x25519_public[] = {
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
    OSSL_PARAM_END,
};
const OSSL_PARAM x25519_keypair[] = {
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0),
    OSSL_PARAM_END,
};

} // namespace

const delegated_algorithm ec_algorithm{"EC", "ECDSA", "ECDH", accepts_ec, ec_public, ec_keypair};
const delegated_algorithm rsa_algorithm{"RSA",       "RSA",      nullptr,
                                        accepts_rsa, rsa_public, rsa_keypair};
const delegated_algorithm x25519_algorithm{"X25519",    nullptr,       "X25519",
                                           accepts_any, x25519_public, x25519_keypair};

const OSSL_PARAM delegated_gettable_params[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_X, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_Y, nullptr, 0),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, nullptr),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_USE_COFACTOR_ECDH, nullptr),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, nullptr),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nullptr, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, nullptr, 0),
    OSSL_PARAM_utf8_string("secretmem-backend", nullptr, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM delegated_settable_params[] = {
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, nullptr, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, nullptr, 0),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, nullptr),
    OSSL_PARAM_END,
};

openssl::md_ctx_ptr sign_templates::copy(const secretmem_provider_ctx* provctx, EVP_PKEY* key,
                                         const char* mdname)
{
    const std::string name = mdname != nullptr ? mdname : "";
    const std::lock_guard<std::mutex> hold(lock_);
    auto found = std::find_if(contexts_.begin(), contexts_.end(),
                              [&](const auto& entry) { return entry.first == name; });
    if (found == contexts_.end()) {
        openssl::md_ctx_ptr fresh(EVP_MD_CTX_new());
        if (!fresh || EVP_DigestSignInit_ex(fresh.get(), nullptr, mdname, provctx->libctx,
                                            SECRETMEM_DELEGATE_PROPQ, key, nullptr) != 1)
            return nullptr;
        contexts_.emplace_back(name, std::move(fresh));
        found = contexts_.end() - 1;
    }
    openssl::md_ctx_ptr copied(EVP_MD_CTX_new());
    if (!copied || EVP_MD_CTX_copy_ex(copied.get(), found->second.get()) != 1)
        return nullptr;
    return copied;
}

bool accept(const delegated_key& key)
{
    if (!key.has_private() || (key.pkey && key.algorithm->accepts(key.pkey.get())))
        return true;
    secretmem_raise(key.provctx, SECRETMEM_R_UNSUPPORTED_KEY, "a %s key of %d bits",
                    key.algorithm->name, key.pkey ? EVP_PKEY_get_bits(key.pkey.get()) : 0);
    return false;
}

} // namespace secretmem::provider
