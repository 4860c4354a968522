// SPDX-License-Identifier: MIT
// The provider added built in (OSSL_PROVIDER_add_builtin), as a program that
// links libsecretmem-provider would add it, in a library context of its own.
#include <secretmem_provider.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

struct libctx_free {
    void operator()(OSSL_LIB_CTX* c) const { OSSL_LIB_CTX_free(c); }
};

TEST(Provider, LoadsBuiltInAndAnswersItsParameters)
{
    const std::unique_ptr<OSSL_LIB_CTX, libctx_free> libctx(OSSL_LIB_CTX_new());
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
