// SPDX-License-Identifier: MIT
#include "key_checks.hpp"

#include "../common/check.hpp"
#include "openssl_env.hpp"

#include <openssl_ptr.hpp>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <array>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace secretmem::fuzz {
namespace {

using openssl::md_ctx_ptr;
using openssl::pkey_ctx_ptr;
using openssl::pkey_ptr;
using bytes = std::vector<unsigned char>;

constexpr std::string_view message = "signed by a key that was fuzzed into secret memory";

const unsigned char* message_data()
{
    return reinterpret_cast<const unsigned char*>(message.data());
}

std::string backend_of(const EVP_PKEY* key)
{
    std::array<char, 32> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "secretmem-backend", name.data(), name.size(),
                                       &length) != 1)
        return "(none)";
    return {name.data(), length};
}

std::string group_of(const EVP_PKEY* key)
{
    std::array<char, 64> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                       &length) != 1)
        return {};
    return {name.data(), length};
}

bytes sign(EVP_PKEY* key, OSSL_LIB_CTX* libctx, const char* md)
{
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, md, libctx, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, message_data(), message.size()) != 1)
        return {};
    bytes signature(length);
    if (EVP_DigestSign(ctx.get(), signature.data(), &length, message_data(), message.size()) != 1)
        return {};
    signature.resize(length);
    return signature;
}

bool verifies(EVP_PKEY* key, OSSL_LIB_CTX* libctx, const char* md, const bytes& signature)
{
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    return ctx &&
           EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md, libctx, nullptr, key, nullptr) == 1 &&
           EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message_data(),
                            message.size()) == 1;
}

bytes derive(EVP_PKEY* key, OSSL_LIB_CTX* libctx, EVP_PKEY* peer)
{
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(libctx, key, nullptr));
    std::size_t length = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &length) != 1)
        return {};
    bytes secret(length);
    if (EVP_PKEY_derive(ctx.get(), secret.data(), &length) != 1)
        return {};
    secret.resize(length);
    return secret;
}

bool pairwise_consistent(EVP_PKEY* key, OSSL_LIB_CTX* libctx)
{
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(libctx, key, nullptr));
    return ctx && EVP_PKEY_pairwise_check(ctx.get()) == 1;
}

pkey_ptr generate(OSSL_LIB_CTX* libctx, const char* type, const std::string& group)
{
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(libctx, type, nullptr));
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                         const_cast<char*>(group.c_str()), 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        (!group.empty() && EVP_PKEY_CTX_set_params(ctx.get(), params.data()) != 1) ||
        EVP_PKEY_generate(ctx.get(), &key) != 1)
        return nullptr;
    return pkey_ptr(key);
}

// A peer for key agreement with keys of `type` (and `group`), generated
// once; derivations in either library context use the same one.
EVP_PKEY* peer_for(const char* type, const std::string& group)
{
    static std::map<std::string, pkey_ptr> peers;
    const std::string name = std::string(type) + "/" + group;
    auto found = peers.find(name);
    if (found == peers.end())
        found = peers.emplace(name, generate(environment().reference, type, group)).first;
    return found->second.get();
}

void check_signature(EVP_PKEY* held, EVP_PKEY* reference, const char* md, bool must_verify)
{
    const bytes signature = sign(held, environment().app, md);
    if (!must_verify)
        return;
    FUZZ_CHECK(!signature.empty(), "a %s key in secretmem cannot sign",
               EVP_PKEY_get0_type_name(held));
    FUZZ_CHECK(verifies(reference, environment().reference, md, signature),
               "a %s signature by the key in secretmem does not verify with the file's key",
               EVP_PKEY_get0_type_name(held));
}

void check_agreement(EVP_PKEY* held, EVP_PKEY* reference, const char* type,
                     const std::string& group)
{
    EVP_PKEY* peer = peer_for(type, group);
    if (peer == nullptr)
        return;
    const bytes expected = derive(reference, environment().reference, peer);
    const bytes got = derive(held, environment().app, peer);
    if (expected.empty())
        return;
    FUZZ_CHECK(got == expected, "%s agreement with the key in secretmem: %zu bytes, %s", type,
               got.size(), got.empty() ? "failed" : "a different secret");
}

void use(EVP_PKEY* held, EVP_PKEY* reference)
{
    if (EVP_PKEY_is_a(held, "ED25519") == 1) {
        // The public half is derived from the seed: always consistent.
        check_signature(held, reference, nullptr, true);
    } else if (EVP_PKEY_is_a(held, "X25519") == 1) {
        check_agreement(held, reference, "X25519", {});
    } else if (EVP_PKEY_is_a(held, "EC") == 1) {
        const bool consistent = pairwise_consistent(reference, environment().reference);
        check_signature(held, reference, "SHA256", consistent);
        check_agreement(held, reference, "EC", group_of(reference));
    } else if (EVP_PKEY_is_a(held, "RSA") == 1) {
        check_signature(held, reference, "SHA256",
                        pairwise_consistent(reference, environment().reference));
    }
}

} // namespace

std::string provider_of(const EVP_PKEY* key)
{
    const OSSL_PROVIDER* p = EVP_PKEY_get0_provider(key);
    return p != nullptr ? OSSL_PROVIDER_get0_name(p) : "(legacy)";
}

void check_held_key(EVP_PKEY* held, EVP_PKEY* reference, bool use_it)
{
    // Ed25519 seeds live in the SDK's regions; the other keys are held in
    // OpenSSL's heap, whose backend is what the probe was told.
    const std::string backend = backend_of(held);
    if (EVP_PKEY_is_a(held, "ED25519") == 1) {
        FUZZ_CHECK(backend == "native" || backend == "fd", "an Ed25519 key held in backend %s",
                   backend.c_str());
    } else {
        FUZZ_CHECK(backend == "fuzz-stand-in", "a %s key held in backend %s",
                   EVP_PKEY_get0_type_name(held), backend.c_str());
    }
    if (reference == nullptr)
        return;
    FUZZ_CHECK(EVP_PKEY_eq(held, reference) == 1,
               "the %s key in secretmem is not the one the default provider decodes",
               EVP_PKEY_get0_type_name(held));
    if (use_it)
        use(held, reference);
    ERR_clear_error();
}

} // namespace secretmem::fuzz
