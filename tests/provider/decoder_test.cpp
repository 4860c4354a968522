// SPDX-License-Identifier: MIT
// A server that loads its key the usual way, SSL_CTX_use_PrivateKey_file(),
// with secretmem loaded after the default provider (as secretmem.cnf sets
// it up) and OpenSSL's heap secret: the key lands in the provider, in each
// format a key file comes in.  Run under libsecretmem-preload.so.
#include "fixture.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <secretmem_provider.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

using namespace secretmem::provider_test;
using secretmem::openssl::openssl_free;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, openssl_free<SSL_CTX, SSL_CTX_free>>;

constexpr const char* passphrase = "open sesame";

int give_passphrase(char* buffer, int size, int /*rwflag*/, void* /*userdata*/)
{
    const std::string pass = passphrase;
    if (static_cast<int>(pass.size()) > size)
        return -1;
    pass.copy(buffer, pass.size());
    return static_cast<int>(pass.size());
}

class UsualLoading : public SecretHeapTest {
protected:
    void SetUp() override
    {
        SecretHeapTest::SetUp();
        // Default first, secretmem after: libcrypto tries the decoder of the
        // provider loaded last first.
        ASSERT_NE(libctx_config_, nullptr);
        default_config_.reset(OSSL_PROVIDER_load(libctx_config_.get(), "default"));
        ASSERT_NE(default_config_, nullptr);
        ASSERT_EQ(
            OSSL_PROVIDER_add_builtin(libctx_config_.get(), "secretmem", secretmem_provider_init),
            1);
        secretmem_config_.reset(OSSL_PROVIDER_load(libctx_config_.get(), "secretmem"));
        ASSERT_NE(secretmem_config_, nullptr);
        path_ = std::filesystem::temp_directory_path() /
                ("secretmem-decoder-" + std::to_string(::getpid()) + ".pem");
    }
    void TearDown() override
    {
        std::filesystem::remove(path_);
        SecretHeapTest::TearDown();
    }

    void write(EVP_PKEY* key, bool traditional, bool encrypted)
    {
        BIO* out = BIO_new_file(path_.c_str(), "w");
        ASSERT_NE(out, nullptr);
        int ok = 0;
        if (encrypted) {
            ok = PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_128_cbc(), nullptr, 0, nullptr,
                                               const_cast<char*>(passphrase));
        } else if (traditional) {
            ok = PEM_write_bio_PrivateKey_traditional(out, key, nullptr, nullptr, 0, nullptr,
                                                      nullptr);
        } else {
            ok = PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
        }
        BIO_free(out);
        ASSERT_EQ(ok, 1);
    }

    // SSL_CTX_use_PrivateKey_file()'s key: who holds it.
    std::string load_with_libssl()
    {
        const ssl_ctx_ptr ctx(SSL_CTX_new_ex(libctx_config_.get(), nullptr, TLS_server_method()));
        if (!ctx)
            return "(no SSL_CTX)";
        SSL_CTX_set_default_passwd_cb(ctx.get(), give_passphrase);
        if (SSL_CTX_use_PrivateKey_file(ctx.get(), path_.c_str(), SSL_FILETYPE_PEM) != 1)
            return "(not loaded: " + drain_errors() + ")";
        EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx.get());
        std::string holder = provider_of(key);
        if (holder == "secretmem")
            expect_secret_backend(backend_of(key));
        return holder;
    }

    libctx_ptr libctx_config_{OSSL_LIB_CTX_new()};
    // After the context: unloaded before it is freed.
    secretmem::openssl::provider_ptr default_config_;
    secretmem::openssl::provider_ptr secretmem_config_;
    std::filesystem::path path_;
};

TEST_F(UsualLoading, KeyFilesGoIntoTheProvider)
{
    for (const auto& [type, group] : std::vector<std::pair<const char*, const char*>>{
             {"EC", "prime256v1"}, {"RSA", nullptr}, {"ED25519", nullptr}}) {
        SCOPED_TRACE(type);
        std::vector<OSSL_PARAM> params;
        if (group != nullptr) {
            params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                              const_cast<char*>(group), 0));
        }
        const pkey_ptr key = generate(type, "provider=default", params);
        ASSERT_NE(key, nullptr);
        write(key.get(), false, false);
        EXPECT_EQ(load_with_libssl(), "secretmem") << "PKCS#8";
        write(key.get(), false, true);
        EXPECT_EQ(load_with_libssl(), "secretmem") << "encrypted PKCS#8";
        if (std::string(type) != "ED25519") {
            write(key.get(), true, false);
            EXPECT_EQ(load_with_libssl(), "secretmem") << "traditional";
        }
    }
}

} // namespace
