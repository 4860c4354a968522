// SPDX-License-Identifier: MIT
// The provider added built in (OSSL_PROVIDER_add_builtin), as a program that
// links libsecretmem-provider would add it, in a library context of its own.
#include <secretmem_provider.h>

#include "../support/openssl_ptr.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using secretmem::test::libctx_ptr;
using secretmem::test::md_ctx_ptr;
using secretmem::test::pkey_ctx_ptr;
using secretmem::test::pkey_ptr;

TEST(Provider, LoadsBuiltInAndAnswersItsParameters)
{
    const libctx_ptr libctx(OSSL_LIB_CTX_new());
    ASSERT_NE(libctx, nullptr);
    ASSERT_EQ(OSSL_PROVIDER_add_builtin(libctx.get(), "secretmem", secretmem_provider_init), 1);
    OSSL_PROVIDER* provider = OSSL_PROVIDER_load(libctx.get(), "secretmem");
    ASSERT_NE(provider, nullptr);
    EXPECT_EQ(OSSL_PROVIDER_available(libctx.get(), "secretmem"), 1);

    const char* name = nullptr;
    const char* version = nullptr;
    int status = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_NAME, const_cast<char**>(&name), 0),
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_VERSION, const_cast<char**>(&version), 0),
        OSSL_PARAM_construct_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_construct_end(),
    };
    ASSERT_EQ(OSSL_PROVIDER_get_params(provider, params), 1);
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(std::string(name), "secretmem: private keys in secret memory");
    ASSERT_NE(version, nullptr);
    EXPECT_FALSE(std::string(version).empty());
    EXPECT_EQ(status, 1);
    EXPECT_EQ(OSSL_PROVIDER_unload(provider), 1);
}

} // namespace

namespace {

std::vector<unsigned char> bytes(std::string_view text)
{
    return {text.begin(), text.end()};
}

// A library context with the secretmem provider built in and the default
// provider beside it, as an application's openssl.cnf would set it up.
class Ed25519 : public testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_NE(libctx_, nullptr);
        ASSERT_EQ(OSSL_PROVIDER_add_builtin(libctx_.get(), "secretmem", secretmem_provider_init),
                  1);
        secretmem_ = OSSL_PROVIDER_load(libctx_.get(), "secretmem");
        default_ = OSSL_PROVIDER_load(libctx_.get(), "default");
        ASSERT_NE(secretmem_, nullptr);
        ASSERT_NE(default_, nullptr);
    }
    void TearDown() override
    {
        if (secretmem_ != nullptr)
            OSSL_PROVIDER_unload(secretmem_);
        if (default_ != nullptr)
            OSSL_PROVIDER_unload(default_);
    }

    [[nodiscard]] pkey_ptr generate(const char* propq) const
    {
        return pkey_ptr(EVP_PKEY_Q_keygen(libctx_.get(), propq, "ED25519"));
    }

    [[nodiscard]] std::vector<unsigned char> sign(EVP_PKEY* key) const
    {
        const md_ctx_ptr ctx(EVP_MD_CTX_new());
        std::vector<unsigned char> sig(64);
        std::size_t length = sig.size();
        if (!ctx ||
            EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, libctx_.get(), nullptr, key,
                                  nullptr) != 1 ||
            EVP_DigestSign(ctx.get(), sig.data(), &length, message_.data(), message_.size()) != 1)
            return {};
        sig.resize(length);
        return sig;
    }

    // The default provider's verdict, on a public-only copy of `key`.
    [[nodiscard]] bool verifies(EVP_PKEY* key, const std::vector<unsigned char>& sig) const
    {
        std::array<unsigned char, 32> pub{};
        std::size_t length = pub.size();
        if (EVP_PKEY_get_raw_public_key(key, pub.data(), &length) != 1 || length != pub.size())
            return false;
        const pkey_ptr copy(EVP_PKEY_new_raw_public_key_ex(
            libctx_.get(), "ED25519", "provider=default", pub.data(), pub.size()));
        const md_ctx_ptr ctx(EVP_MD_CTX_new());
        return copy && ctx &&
               EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, libctx_.get(), nullptr,
                                       copy.get(), nullptr) == 1 &&
               EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message_.data(),
                                message_.size()) == 1;
    }

    libctx_ptr libctx_{OSSL_LIB_CTX_new()};
    OSSL_PROVIDER* secretmem_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
    std::vector<unsigned char> message_ =
        bytes("a message signed with a key the kernel's direct map never saw");
};

std::string backend_of(EVP_PKEY* key)
{
    char name[32] = "";
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "secretmem-backend", name, sizeof name, &length) != 1)
        return "(none)";
    return name;
}

TEST_F(Ed25519, GeneratedKeyLivesInSecretMemoryAndSigns)
{
    const pkey_ptr key = generate("provider=secretmem");
    ASSERT_NE(key, nullptr) << "no Ed25519 key from the secretmem provider";
    EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(key.get())), "secretmem");
    const std::string backend = backend_of(key.get());
    const char* require = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    if (require != nullptr && std::string(require) == "1") {
        EXPECT_EQ(backend, "native");
    } else {
        EXPECT_TRUE(backend == "native" || backend == "fd") << backend;
    }
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 253);
    EXPECT_EQ(EVP_PKEY_get_size(key.get()), 64);

    const std::vector<unsigned char> sig = sign(key.get());
    ASSERT_EQ(sig.size(), 64U);
    EXPECT_TRUE(verifies(key.get(), sig)) << "the default provider rejects the signature";
    std::vector<unsigned char> bad = sig;
    bad[10] ^= 1;
    EXPECT_FALSE(verifies(key.get(), bad)) << "a changed signature must not verify";
}

TEST_F(Ed25519, PrivateKeyNeverLeaves)
{
    const pkey_ptr key = generate("provider=secretmem");
    ASSERT_NE(key, nullptr);
    std::array<unsigned char, 32> priv{};
    std::size_t length = priv.size();
    EXPECT_NE(EVP_PKEY_get_raw_private_key(key.get(), priv.data(), &length), 1);
    OSSL_PARAM* params = nullptr;
    EXPECT_NE(EVP_PKEY_todata(key.get(), EVP_PKEY_KEYPAIR, &params), 1);
    OSSL_PARAM_free(params);
    params = nullptr;
    EXPECT_EQ(EVP_PKEY_todata(key.get(), EVP_PKEY_PUBLIC_KEY, &params), 1);
    OSSL_PARAM_free(params);
}

// Ed25519 is deterministic: the same seed signs alike in both providers.
TEST_F(Ed25519, ImportedSeedSignsAsTheDefaultProviderDoes)
{
    const pkey_ptr reference = generate("provider=default");
    ASSERT_NE(reference, nullptr);
    std::array<unsigned char, 32> seed{};
    std::array<unsigned char, 32> pub{};
    std::size_t seed_length = seed.size();
    std::size_t pub_length = pub.size();
    ASSERT_EQ(EVP_PKEY_get_raw_private_key(reference.get(), seed.data(), &seed_length), 1);
    ASSERT_EQ(EVP_PKEY_get_raw_public_key(reference.get(), pub.data(), &pub_length), 1);

    const pkey_ctx_ptr ctx(
        EVP_PKEY_CTX_new_from_name(libctx_.get(), "ED25519", "provider=secretmem"));
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, seed.data(), seed.size()),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY* raw = nullptr;
    ASSERT_EQ(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params), 1);
    OPENSSL_cleanse(seed.data(), seed.size());
    const pkey_ptr imported(raw);
    EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(imported.get())), "secretmem");

    const std::vector<unsigned char> ours = sign(imported.get());
    const std::vector<unsigned char> theirs = sign(reference.get());
    ASSERT_EQ(ours.size(), 64U);
    EXPECT_EQ(ours, theirs);
    EXPECT_EQ(EVP_PKEY_eq(imported.get(), reference.get()), 1);
}

} // namespace
