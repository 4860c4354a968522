// SPDX-License-Identifier: MIT
// The provider added built in (OSSL_PROVIDER_add_builtin), as a program that
// links libsecretmem-provider would add it, in a library context of its own.
#include "../support/privileges.hpp"
#include "fixture.hpp"

#include <secretmem_provider.h>

#include <openssl_ptr.hpp>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using secretmem::openssl::libctx_ptr;
using secretmem::openssl::md_ctx_ptr;
using secretmem::openssl::pkey_ctx_ptr;
using secretmem::openssl::pkey_ptr;

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

using secretmem::provider_test::backend_of;
using secretmem::provider_test::drain_errors;
using secretmem::provider_test::expect_secret_backend;
using secretmem::provider_test::provider_of;
using secretmem::provider_test::ProviderTest;

// Ed25519 keys are held in any process: libsodium signs in SDK regions.
class Ed25519 : public ProviderTest {
protected:
    [[nodiscard]] pkey_ptr generate(const char* propq) const
    {
        return ProviderTest::generate("ED25519", propq);
    }
    [[nodiscard]] std::vector<unsigned char> sign(EVP_PKEY* key) const
    {
        return ProviderTest::sign(key, nullptr);
    }
    // The default provider's verdict, on a public-only copy of `key`.
    [[nodiscard]] bool verifies(EVP_PKEY* key, const std::vector<unsigned char>& sig) const
    {
        const pkey_ptr copy = public_copy(key);
        return copy && provider_of(copy.get()) == "default" &&
               ProviderTest::verifies(copy.get(), nullptr, sig);
    }
};

TEST_F(Ed25519, GeneratedKeyLivesInSecretMemoryAndSigns)
{
    const pkey_ptr key = generate("provider=secretmem");
    ASSERT_NE(key, nullptr) << "no Ed25519 key from the secretmem provider";
    EXPECT_EQ(provider_of(key.get()), "secretmem");
    expect_secret_backend(backend_of(key.get()));
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

    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(libctx(), "ED25519", "provider=secretmem"));
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
    EXPECT_EQ(provider_of(imported.get()), "secretmem");

    const std::vector<unsigned char> ours = sign(imported.get());
    const std::vector<unsigned char> theirs = sign(reference.get());
    ASSERT_EQ(ours.size(), 64U);
    EXPECT_EQ(ours, theirs);
    EXPECT_EQ(EVP_PKEY_eq(imported.get(), reference.get()), 1);
}

} // namespace

namespace {

// Where OpenSSL's heap is ordinary memory (no preload), keys whose math is
// the default provider's cannot be held: the provider does not offer them,
// and its store says why and what to do.
class OrdinaryHeap : public secretmem::provider_test::ProviderTest {
protected:
};

TEST_F(OrdinaryHeap, ProviderSaysSo)
{
    EXPECT_EQ(openssl_heap(), "ordinary");
}

TEST_F(OrdinaryHeap, EcRsaAndX25519AreLeftToTheDefaultProvider)
{
    for (const char* type : {"EC", "RSA", "X25519"}) {
        EXPECT_EQ(generate(type, "provider=secretmem"), nullptr) << type;
        (void)drain_errors();
        const pkey_ptr key =
            generate(type, nullptr,
                     std::string_view(type) == "EC"
                         ? std::vector<OSSL_PARAM>{OSSL_PARAM_construct_utf8_string(
                               OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("P-256"), 0)}
                         : std::vector<OSSL_PARAM>{});
        ASSERT_NE(key, nullptr) << type << ": " << drain_errors();
        EXPECT_EQ(provider_of(key.get()), "default") << type;
    }
}

TEST_F(OrdinaryHeap, StoreRefusesWithTheReason)
{
    const pkey_ptr key = generate("EC", "provider=default",
                                  {OSSL_PARAM_construct_utf8_string(
                                      OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("P-256"), 0)});
    ASSERT_NE(key, nullptr);
    char path[] = "/tmp/secretmem-provider-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::close(fd);
    BIO* out = BIO_new_file(path, "w");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    BIO_free(out);
    OSSL_STORE_CTX* store =
        OSSL_STORE_open_ex((std::string("secretmem:") + path).c_str(), libctx(), nullptr, nullptr,
                           nullptr, nullptr, nullptr, nullptr);
    ASSERT_NE(store, nullptr) << drain_errors();
    OSSL_STORE_INFO* info = OSSL_STORE_load(store);
    EXPECT_EQ(info, nullptr);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(store);
    ::unlink(path);
    const std::string errors = drain_errors();
    EXPECT_NE(errors.find("OpenSSL's heap is not secret memory in this process"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("libsecretmem-preload.so"), std::string::npos) << errors;
}

} // namespace

namespace {

// No secret memory for a key (here: a kernel without the secret-memory
// system calls, and degraded protection not allowed): no key, and the
// error queue says why, with the SDK's reason.
TEST(NoSecretMemory, KeyGenerationSaysWhy)
{
    EXPECT_EXIT(
        {
            secretmem::test::hide_secret_syscalls();
            bool refused = false;
            {
                // Freed before exit(), as a leak checker expects.
                const secretmem::openssl::libctx_ptr libctx(OSSL_LIB_CTX_new());
                OSSL_PROVIDER_add_builtin(libctx.get(), "secretmem", secretmem_provider_init);
                const secretmem::openssl::provider_ptr secretmem(
                    OSSL_PROVIDER_load(libctx.get(), "secretmem"));
                const secretmem::openssl::provider_ptr fallback(
                    OSSL_PROVIDER_load(libctx.get(), "default"));
                const secretmem::openssl::pkey_ptr key(
                    EVP_PKEY_Q_keygen(libctx.get(), "provider=secretmem", "ED25519"));
                std::fprintf(stderr, "%s", drain_errors().c_str());
                refused = key == nullptr;
            }
            std::exit(refused ? 0 : 1);
        },
        testing::ExitedWithCode(0), "no secret memory could be had for the key.*Ed25519 key: ");
}

} // namespace
