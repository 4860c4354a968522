// SPDX-License-Identifier: MIT
#include "keys.hpp"

#include <openssl_ptr.hpp>

#include <cstring>
#include <memory>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdexcept>

namespace secretmem::preload_test {
namespace {

using openssl::bignum_ptr;
using openssl::md_ctx_ptr;
using openssl::pkey_ctx_ptr;
using openssl::pkey_ptr;

pkey_ptr read_key(const std::string& pem, bool is_private)
{
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr)
        throw std::runtime_error("BIO_new_mem_buf failed");
    EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                               : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr)
        throw std::runtime_error("libcrypto cannot read this PEM key:\n" + pem);
    return pkey_ptr(key);
}

memscan::bytes to_bytes(const unsigned char* data, std::size_t size)
{
    memscan::bytes out(size);
    std::memcpy(out.data(), data, size);
    return out;
}

void add_number(const EVP_PKEY* key, const char* param, const std::string& name, std::size_t width,
                std::vector<secret_part>& out)
{
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &raw) != 1)
        throw std::runtime_error(std::string("no ") + param + " in the key");
    const bignum_ptr bn(raw);
    // A BIGNUM's limbs are 8 bytes: its little-endian image is padded to
    // whole limbs, while DER holds the number with no leading zeros (EC
    // scalars excepted: fixed width).
    const auto size = static_cast<std::size_t>(BN_num_bytes(bn.get()));
    const std::size_t be_width = width != 0 ? width : size;
    const std::size_t le_width = (size + 7) / 8 * 8;
    std::vector<unsigned char> be(be_width);
    std::vector<unsigned char> le(le_width);
    if (BN_bn2binpad(bn.get(), be.data(), static_cast<int>(be.size())) < 0 ||
        BN_bn2lebinpad(bn.get(), le.data(), static_cast<int>(le.size())) < 0)
        throw std::runtime_error("BN_bn2binpad failed");
    out.push_back({name + " (big-endian)", name, to_bytes(be.data(), be.size())});
    out.push_back({name + " (BIGNUM, little-endian)", name, to_bytes(le.data(), le.size())});
}

} // namespace

std::vector<secret_part> secret_parts(const std::string& pem)
{
    const pkey_ptr key = read_key(pem, true);
    std::vector<secret_part> parts;
    switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_EC:
        add_number(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, "EC private scalar",
                   static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8), parts);
        break;
    case EVP_PKEY_RSA:
        add_number(key.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, "RSA p", 0, parts);
        add_number(key.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, "RSA q", 0, parts);
        add_number(key.get(), OSSL_PKEY_PARAM_RSA_D, "RSA d", 0, parts);
        break;
    case EVP_PKEY_X25519:
    case EVP_PKEY_ED25519: {
        unsigned char raw[64];
        std::size_t size = sizeof(raw);
        if (EVP_PKEY_get_raw_private_key(key.get(), raw, &size) != 1)
            throw std::runtime_error("EVP_PKEY_get_raw_private_key failed");
        const std::string name =
            EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_X25519 ? "X25519" : "Ed25519";
        parts.push_back({name + " private key", name, to_bytes(raw, size)});
        break;
    }
    default:
        throw std::runtime_error("unexpected key type in:\n" + pem);
    }
    return parts;
}

std::vector<memscan::bytes> needles(const std::vector<secret_part>& parts)
{
    std::vector<memscan::bytes> out;
    out.reserve(parts.size());
    for (const secret_part& p : parts)
        out.push_back(p.value);
    return out;
}

bool signature_verifies(const std::string& pem, const std::string& data,
                        const std::string& signature, bool raw)
{
    const pkey_ptr key = read_key(pem, true);
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    const auto* msg = reinterpret_cast<const unsigned char*>(data.data());
    if (raw) {
        const md_ctx_ptr md(EVP_MD_CTX_new());
        return md && EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
               EVP_DigestVerify(md.get(), sig, signature.size(), msg, data.size()) == 1;
    }
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
           EVP_PKEY_verify(ctx.get(), sig, signature.size(), msg, data.size()) == 1;
}

std::string derive(const std::string& pem, const std::string& peer_pem)
{
    const pkey_ptr key = read_key(pem, true);
    const pkey_ptr peer = read_key(peer_pem, false);
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    std::size_t size = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &size) != 1)
        throw std::runtime_error("EVP_PKEY_derive failed");
    std::string secret(size, '\0');
    if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &size) != 1)
        throw std::runtime_error("EVP_PKEY_derive failed");
    secret.resize(size);
    return secret;
}

} // namespace secretmem::preload_test
