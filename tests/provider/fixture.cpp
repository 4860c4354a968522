// SPDX-License-Identifier: MIT
#include "fixture.hpp"

#include <secretmem_provider.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include <cstdlib>
#include <string_view>

namespace secretmem::provider_test {

void ProviderTest::SetUp()
{
    ASSERT_NE(libctx_, nullptr);
    ASSERT_EQ(OSSL_PROVIDER_add_builtin(libctx_.get(), "secretmem", secretmem_provider_init), 1);
    secretmem_ = OSSL_PROVIDER_load(libctx_.get(), "secretmem");
    default_ = OSSL_PROVIDER_load(libctx_.get(), "default");
    ASSERT_NE(secretmem_, nullptr);
    ASSERT_NE(default_, nullptr);
    const std::string_view text = "a message signed with a key the kernel's direct map never saw";
    message_.assign(text.begin(), text.end());
}

void ProviderTest::TearDown()
{
    if (secretmem_ != nullptr)
        OSSL_PROVIDER_unload(secretmem_);
    if (default_ != nullptr)
        OSSL_PROVIDER_unload(default_);
}

std::string ProviderTest::openssl_heap() const
{
    const char* heap = nullptr;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_ptr("secretmem-openssl-heap", const_cast<char**>(&heap), 0),
        OSSL_PARAM_construct_end(),
    };
    if (OSSL_PROVIDER_get_params(secretmem_, params) != 1 || heap == nullptr)
        return "(not answered)";
    return heap;
}

void SecretHeapTest::SetUp()
{
    ProviderTest::SetUp();
    const std::string heap = openssl_heap();
    ASSERT_NE(heap, "ordinary")
        << "OpenSSL's heap is not secret: run this program under libsecretmem-preload.so";
    expect_secret_backend(heap);
}

pkey_ptr ProviderTest::generate(const char* type, const char* propq,
                                std::vector<OSSL_PARAM> params) const
{
    params.push_back(OSSL_PARAM_construct_end());
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(libctx_.get(), type, propq));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_params(ctx.get(), params.data()) != 1 ||
        EVP_PKEY_generate(ctx.get(), &key) != 1)
        return nullptr;
    return pkey_ptr(key);
}

pkey_ptr ProviderTest::public_copy(EVP_PKEY* key) const
{
    OSSL_PARAM* params = nullptr;
    if (EVP_PKEY_todata(key, EVP_PKEY_PUBLIC_KEY, &params) != 1)
        return nullptr;
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(libctx_.get(), EVP_PKEY_get0_type_name(key),
                                                      "provider=default"));
    EVP_PKEY* copy = nullptr;
    const bool ok = ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &copy, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    return ok ? pkey_ptr(copy) : nullptr;
}

std::vector<unsigned char> ProviderTest::sign(EVP_PKEY* key, const char* md,
                                              const tuning& tune) const
{
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    std::size_t length = 0;
    if (!ctx ||
        EVP_DigestSignInit_ex(ctx.get(), &pctx, md, libctx_.get(), nullptr, key, nullptr) != 1 ||
        (tune && !tune(pctx)) ||
        EVP_DigestSign(ctx.get(), nullptr, &length, message_.data(), message_.size()) != 1)
        return {};
    std::vector<unsigned char> sig(length);
    if (EVP_DigestSign(ctx.get(), sig.data(), &length, message_.data(), message_.size()) != 1)
        return {};
    sig.resize(length);
    return sig;
}

bool ProviderTest::verifies(EVP_PKEY* key, const char* md,
                            const std::vector<unsigned char>& signature, const tuning& tune) const
{
    const md_ctx_ptr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    return ctx &&
           EVP_DigestVerifyInit_ex(ctx.get(), &pctx, md, libctx_.get(), nullptr, key, nullptr) ==
               1 &&
           (!tune || tune(pctx)) &&
           EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message_.data(),
                            message_.size()) == 1;
}

std::vector<unsigned char> ProviderTest::derive(EVP_PKEY* key, EVP_PKEY* peer) const
{
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(libctx_.get(), key, nullptr));
    std::size_t length = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &length) != 1)
        return {};
    std::vector<unsigned char> secret(length);
    if (EVP_PKEY_derive(ctx.get(), secret.data(), &length) != 1)
        return {};
    secret.resize(length);
    return secret;
}

std::string provider_of(const EVP_PKEY* key)
{
    const OSSL_PROVIDER* p = EVP_PKEY_get0_provider(key);
    return p != nullptr ? OSSL_PROVIDER_get0_name(p) : "(legacy)";
}

std::string backend_of(EVP_PKEY* key)
{
    char name[32] = "";
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "secretmem-backend", name, sizeof name, &length) != 1)
        return "(none)";
    return name;
}

void expect_secret_backend(const std::string& backend)
{
    const char* require = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    if (require != nullptr && std::string_view(require) == "1") {
        EXPECT_EQ(backend, "native");
    } else {
        EXPECT_TRUE(backend == "native" || backend == "fd") << backend;
    }
}

std::string drain_errors()
{
    BIO* bio = BIO_new(BIO_s_mem());
    ERR_print_errors(bio);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return text;
}

} // namespace secretmem::provider_test
