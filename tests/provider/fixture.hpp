// SPDX-License-Identifier: MIT
// What the provider tests share: a library context with the secretmem
// provider built in and the default provider beside it, as an
// application's openssl.cnf would set them up, and the checks made on
// every key (who holds it, in which backend) and on every signature (the
// default provider, given only the public key, must accept it).
#pragma once

#include <openssl_ptr.hpp>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace secretmem::provider_test {

using openssl::libctx_ptr;
using openssl::md_ctx_ptr;
using openssl::pkey_ctx_ptr;
using openssl::pkey_ptr;

// Settings on an operation's context after its init (RSA padding...).
using tuning = std::function<bool(EVP_PKEY_CTX*)>;

class ProviderTest : public testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    [[nodiscard]] OSSL_LIB_CTX* libctx() const { return libctx_.get(); }

    // A key of `type` generated where `propq` says, with `params` (an EC
    // group, an RSA size); null, with the error queue left, on failure.
    [[nodiscard]] pkey_ptr generate(const char* type, const char* propq,
                                    std::vector<OSSL_PARAM> params = {}) const;
    // The public half of `key`, in the default provider.
    [[nodiscard]] pkey_ptr public_copy(EVP_PKEY* key) const;
    // `message_` signed with `key` and digest `md` (nullptr: the key's own
    // rule); empty on failure.
    [[nodiscard]] std::vector<unsigned char> sign(EVP_PKEY* key, const char* md,
                                                  const tuning& tune = {}) const;
    [[nodiscard]] bool verifies(EVP_PKEY* key, const char* md,
                                const std::vector<unsigned char>& signature,
                                const tuning& tune = {}) const;
    // The provider's "secretmem-openssl-heap": a backend, or "ordinary".
    [[nodiscard]] std::string openssl_heap() const;
    // The shared secret of `key` with `peer`; empty on failure.
    [[nodiscard]] std::vector<unsigned char> derive(EVP_PKEY* key, EVP_PKEY* peer) const;

    std::vector<unsigned char> message_;

    libctx_ptr libctx_{OSSL_LIB_CTX_new()};
    OSSL_PROVIDER* secretmem_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
};

// For the tests that need OpenSSL's heap secret (the program runs under
// libsecretmem-preload.so): the provider must say that it is, or the suite
// proves nothing.
class SecretHeapTest : public ProviderTest {
protected:
    void SetUp() override;
};

// "secretmem", "default"...
[[nodiscard]] std::string provider_of(const EVP_PKEY* key);
// The key's "secretmem-backend" parameter, or "(none)".
[[nodiscard]] std::string backend_of(EVP_PKEY* key);
// gtest expectations: a kernel backend, native where the test run asks
// for it (SECRETMEM_REQUIRE_NATIVE=1, the VM).
void expect_secret_backend(const std::string& backend);
// Everything on this thread's error queue, one entry a line; empties it.
[[nodiscard]] std::string drain_errors();

} // namespace secretmem::provider_test
