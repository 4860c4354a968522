// SPDX-License-Identifier: MIT
// EC, RSA and X25519 keys in the provider, where OpenSSL's heap is secret
// (this program runs under libsecretmem-preload.so): generated and
// imported into secret memory, used for signatures and key exchange that
// the default provider accepts, and never let out.
#include "fixture.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace secretmem::provider_test;

struct key_type {
    const char* name;   // for the test's name
    const char* type;   // OpenSSL's key type
    const char* group;  // EC group, or nullptr
    unsigned int bits;  // RSA size, or 0
    const char* digest; // for signatures; nullptr: no signature (X25519)
};

std::ostream& operator<<(std::ostream& out, const key_type& k)
{
    return out << k.name;
}

std::vector<OSSL_PARAM> params_of(const key_type& k, unsigned int& bits)
{
    std::vector<OSSL_PARAM> params;
    if (k.group != nullptr) {
        params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                          const_cast<char*>(k.group), 0));
    }
    if (k.bits != 0) {
        bits = k.bits;
        params.push_back(OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits));
    }
    return params;
}

class SecretHeap : public SecretHeapTest {
protected:
    static key_type ec_p256_key() { return {"EC_P256", "EC", "prime256v1", 0, "SHA256"}; }

    [[nodiscard]] pkey_ptr generate_in(const key_type& k, const char* propq) const
    {
        unsigned int bits = 0;
        return generate(k.type, propq, params_of(k, bits));
    }
};

class Keys : public SecretHeap, public testing::WithParamInterface<key_type> {};

TEST_P(Keys, GeneratedKeyLivesInSecretMemory)
{
    const pkey_ptr key = generate_in(GetParam(), "provider=secretmem");
    ASSERT_NE(key, nullptr) << drain_errors();
    EXPECT_EQ(provider_of(key.get()), "secretmem");
    expect_secret_backend(backend_of(key.get()));
    EXPECT_GT(EVP_PKEY_get_bits(key.get()), 0);
    EXPECT_GT(EVP_PKEY_get_security_bits(key.get()), 0);
    EXPECT_GT(EVP_PKEY_get_size(key.get()), 0);
    if (GetParam().group != nullptr) {
        char group[32] = "";
        ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, nullptr), 1);
        EXPECT_EQ(std::string(group), GetParam().group);
    }
    if (GetParam().digest != nullptr) {
        char md[32] = "";
        ASSERT_GT(EVP_PKEY_get_default_digest_name(key.get(), md, sizeof md), 0);
        EXPECT_EQ(std::string(md), "SHA256");
    }
}

TEST_P(Keys, PrivateKeyNeverLeaves)
{
    const pkey_ptr key = generate_in(GetParam(), "provider=secretmem");
    ASSERT_NE(key, nullptr);
    OSSL_PARAM* params = nullptr;
    EXPECT_NE(EVP_PKEY_todata(key.get(), EVP_PKEY_KEYPAIR, &params), 1);
    OSSL_PARAM_free(params);
    params = nullptr;
    EXPECT_EQ(EVP_PKEY_todata(key.get(), EVP_PKEY_PUBLIC_KEY, &params), 1);
    OSSL_PARAM_free(params);
    for (const char* name : {OSSL_PKEY_PARAM_PRIV_KEY, OSSL_PKEY_PARAM_RSA_D,
                             OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_EXPONENT1}) {
        BIGNUM* bn = nullptr;
        EXPECT_NE(EVP_PKEY_get_bn_param(key.get(), name, &bn), 1) << name;
        BN_clear_free(bn);
    }
    unsigned char raw[64];
    std::size_t length = sizeof raw;
    EXPECT_NE(EVP_PKEY_get_raw_private_key(key.get(), raw, &length), 1);
    // What can be had of it is what any peer may know.
    const pkey_ptr copy = public_copy(key.get());
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(EVP_PKEY_eq(copy.get(), key.get()), 1);
    (void)drain_errors();
}

class SigningKeys : public Keys {};

TEST_P(SigningKeys, SignsAndTheDefaultProviderVerifies)
{
    const pkey_ptr key = generate_in(GetParam(), "provider=secretmem");
    ASSERT_NE(key, nullptr);
    const std::vector<unsigned char> sig = sign(key.get(), GetParam().digest);
    ASSERT_FALSE(sig.empty()) << drain_errors();
    const pkey_ptr verifier = public_copy(key.get());
    ASSERT_NE(verifier, nullptr);
    ASSERT_EQ(provider_of(verifier.get()), "default");
    EXPECT_TRUE(verifies(verifier.get(), GetParam().digest, sig));
    EXPECT_TRUE(verifies(key.get(), GetParam().digest, sig)) << "verifying with the key itself";
    std::vector<unsigned char> bad = sig;
    bad[bad.size() / 2] ^= 1;
    EXPECT_FALSE(verifies(verifier.get(), GetParam().digest, bad));
    (void)drain_errors();
}

// A key the default provider made, imported: the same key, which signs in
// secret memory what the original verifies (RSA PKCS#1 v1.5 even byte for
// byte).
TEST_P(Keys, ImportedKeyIsTheSameKey)
{
    const pkey_ptr original = generate_in(GetParam(), "provider=default");
    ASSERT_NE(original, nullptr);
    OSSL_PARAM* params = nullptr;
    ASSERT_EQ(EVP_PKEY_todata(original.get(), EVP_PKEY_KEYPAIR, &params), 1);
    const pkey_ctx_ptr ctx(
        EVP_PKEY_CTX_new_from_name(libctx(), GetParam().type, "provider=secretmem"));
    EVP_PKEY* raw = nullptr;
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
    ASSERT_EQ(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params), 1) << drain_errors();
    OSSL_PARAM_free(params);
    const pkey_ptr imported(raw);
    EXPECT_EQ(provider_of(imported.get()), "secretmem");
    EXPECT_EQ(EVP_PKEY_eq(imported.get(), original.get()), 1);
    if (GetParam().digest == nullptr)
        return;
    const std::vector<unsigned char> sig = sign(imported.get(), GetParam().digest);
    ASSERT_FALSE(sig.empty()) << drain_errors();
    EXPECT_TRUE(verifies(original.get(), GetParam().digest, sig));
    if (GetParam().bits != 0) {
        EXPECT_EQ(sig, sign(original.get(), GetParam().digest)) << "PKCS#1 v1.5 is deterministic";
    }
}

const key_type ec_p256{"EC_P256", "EC", "prime256v1", 0, "SHA256"};
const key_type ec_p384{"EC_P384", "EC", "secp384r1", 0, "SHA256"};
const key_type rsa2048{"RSA2048", "RSA", nullptr, 2048, "SHA256"};
const key_type x25519{"X25519", "X25519", nullptr, 0, nullptr};

std::string name_of(const testing::TestParamInfo<key_type>& info)
{
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Delegated, Keys, testing::Values(ec_p256, ec_p384, rsa2048, x25519),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Delegated, SigningKeys, testing::Values(ec_p256, ec_p384, rsa2048),
                         name_of);

// One key signing from several threads at once, as a server's workers do:
// each signature verifies.
TEST_F(SecretHeap, ThreadsSignWithOneKey)
{
    const pkey_ptr key = generate_in(ec_p256_key(), "provider=secretmem");
    ASSERT_NE(key, nullptr);
    const pkey_ptr verifier = public_copy(key.get());
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    threads.reserve(4);
    constexpr int per_thread = 100;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                const std::vector<unsigned char> sig = sign(key.get(), "SHA256");
                if (!sig.empty() && verifies(verifier.get(), "SHA256", sig))
                    ++good;
            }
        });
    }
    for (std::thread& t : threads)
        t.join();
    EXPECT_EQ(good.load(), 4 * per_thread);
}

TEST_F(SecretHeap, RsaPssWithTheParametersLibsslSets)
{
    unsigned int bits = 2048;
    const pkey_ptr key = generate("RSA", "provider=secretmem",
                                  {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits)});
    ASSERT_NE(key, nullptr);
    const tuning pss = [](EVP_PKEY_CTX* ctx) {
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA384", nullptr) == 1;
    };
    const std::vector<unsigned char> sig = sign(key.get(), "SHA384", pss);
    ASSERT_EQ(sig.size(), 256U) << drain_errors();
    const pkey_ptr verifier = public_copy(key.get());
    EXPECT_TRUE(verifies(verifier.get(), "SHA384", sig, pss));
    EXPECT_FALSE(verifies(verifier.get(), "SHA384", sig)) << "not a PKCS#1 v1.5 signature";
    (void)drain_errors();
}

TEST_F(SecretHeap, KeyExchangeAgreesWithTheDefaultProvider)
{
    for (const key_type& k : {key_type{"EC_P256", "EC", "prime256v1", 0, nullptr},
                              key_type{"X25519", "X25519", nullptr, 0, nullptr}}) {
        const pkey_ptr ours = generate_in(k, "provider=secretmem");
        const pkey_ptr peer = generate_in(k, "provider=default");
        ASSERT_NE(ours, nullptr) << k.name;
        ASSERT_NE(peer, nullptr) << k.name;
        const pkey_ptr peer_public = public_copy(peer.get());
        const pkey_ptr our_public = public_copy(ours.get());
        const std::vector<unsigned char> a = derive(ours.get(), peer_public.get());
        const std::vector<unsigned char> b = derive(peer.get(), our_public.get());
        ASSERT_FALSE(a.empty()) << k.name << ": " << drain_errors();
        EXPECT_EQ(a, b) << k.name;
    }
}

TEST_F(SecretHeap, RefusesKeysItDoesNotHold)
{
    unsigned int small = 1024;
    EXPECT_EQ(generate("RSA", "provider=secretmem",
                       {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &small)}),
              nullptr);
    std::string errors = drain_errors();
    EXPECT_NE(errors.find("unsupported key: secretmem holds"), std::string::npos) << errors;
    EXPECT_NE(errors.find("a RSA key of 1024 bits"), std::string::npos) << errors;

    EXPECT_EQ(generate("EC", "provider=secretmem",
                       {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                         const_cast<char*>("secp224r1"), 0)}),
              nullptr);
    errors = drain_errors();
    EXPECT_NE(errors.find("unsupported key"), std::string::npos) << errors;
}

} // namespace
