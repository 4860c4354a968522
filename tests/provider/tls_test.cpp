// SPDX-License-Identifier: MIT
// libssl with the server's private key in the provider (run under
// libsecretmem-preload.so): SSL_CTX_use_PrivateKey, SSL_CTX_check_private_key
// and full TLS 1.2 and 1.3 handshakes, in process over a BIO pair.  The key
// cannot leave the provider, so every handshake signature is made there.
#include "fixture.hpp"

#include <tls_pair.hpp>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

namespace {

using namespace secretmem::provider_test;
using secretmem::openssl::ssl_ctx_ptr;
using secretmem::openssl::tls_pair;
using secretmem::openssl::x509_ptr;

struct handshake_case {
    const char* name;
    const char* type;
    const char* group;   // EC group, or nullptr
    int version;         // TLS1_2_VERSION, TLS1_3_VERSION
    const char* sigalgs; // the client's list, or nullptr for libssl's
    int peer_signature;  // the NID the client must see
};

std::ostream& operator<<(std::ostream& out, const handshake_case& c)
{
    return out << c.name;
}

class Tls : public SecretHeapTest, public testing::WithParamInterface<handshake_case> {
protected:
    [[nodiscard]] pkey_ptr server_key() const
    {
        std::vector<OSSL_PARAM> params;
        if (GetParam().group != nullptr) {
            params.push_back(OSSL_PARAM_construct_utf8_string(
                OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(GetParam().group), 0));
        }
        return generate(GetParam().type, "provider=secretmem", params);
    }

    // A self-signed certificate for `key`, signed by it (in the provider).
    [[nodiscard]] x509_ptr certificate(EVP_PKEY* key) const
    {
        return secretmem::openssl::self_signed(key, libctx());
    }

    [[nodiscard]] ssl_ctx_ptr context(const SSL_METHOD* method) const
    {
        ssl_ctx_ptr ctx(SSL_CTX_new_ex(libctx(), nullptr, method));
        if (ctx && (SSL_CTX_set_min_proto_version(ctx.get(), GetParam().version) != 1 ||
                    SSL_CTX_set_max_proto_version(ctx.get(), GetParam().version) != 1))
            return nullptr;
        return ctx;
    }
};

TEST_P(Tls, HandshakeWithTheKeyInSecretMemory)
{
    const pkey_ptr key = server_key();
    ASSERT_NE(key, nullptr) << drain_errors();
    ASSERT_EQ(provider_of(key.get()), "secretmem");
    const x509_ptr cert = certificate(key.get());
    ASSERT_NE(cert, nullptr) << drain_errors();

    const ssl_ctx_ptr server_ctx = context(TLS_server_method());
    ASSERT_NE(server_ctx, nullptr);
    ASSERT_EQ(SSL_CTX_use_certificate(server_ctx.get(), cert.get()), 1) << drain_errors();
    ASSERT_EQ(SSL_CTX_use_PrivateKey(server_ctx.get(), key.get()), 1) << drain_errors();
    EXPECT_EQ(SSL_CTX_check_private_key(server_ctx.get()), 1) << drain_errors();

    const ssl_ctx_ptr client_ctx = context(TLS_client_method());
    ASSERT_NE(client_ctx, nullptr);
    ASSERT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx.get()), cert.get()), 1);
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (GetParam().sigalgs != nullptr) {
        ASSERT_EQ(SSL_CTX_set1_sigalgs_list(client_ctx.get(), GetParam().sigalgs), 1);
    }

    tls_pair pair(server_ctx.get(), client_ctx.get());
    ASSERT_TRUE(pair.handshake()) << drain_errors();
    SSL* server = pair.server.get();
    SSL* client = pair.client.get();
    EXPECT_EQ(SSL_version(client), GetParam().version);
    EXPECT_EQ(SSL_get_verify_result(client), X509_V_OK);
    int nid = 0;
    ASSERT_EQ(SSL_get_peer_signature_type_nid(client, &nid), 1);
    EXPECT_EQ(nid, GetParam().peer_signature) << OBJ_nid2sn(nid);

    const std::string hello = "served with a key the direct map never held";
    ASSERT_EQ(SSL_write(server, hello.data(), static_cast<int>(hello.size())),
              static_cast<int>(hello.size()));
    std::array<char, 64> got{};
    const int n = SSL_read(client, got.data(), static_cast<int>(got.size()));
    ASSERT_GT(n, 0) << drain_errors();
    EXPECT_EQ(std::string(got.data(), static_cast<std::size_t>(n)), hello);
}

TEST_P(Tls, CheckPrivateKeyRejectsAnotherKeysCertificate)
{
    const pkey_ptr key = server_key();
    const pkey_ptr other = server_key();
    ASSERT_TRUE(key && other);
    const x509_ptr cert = certificate(other.get());
    ASSERT_NE(cert, nullptr);
    const ssl_ctx_ptr ctx = context(TLS_server_method());
    ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), key.get()), 1);
    // libssl checks as it installs the certificate, and again on request.
    (void)SSL_CTX_use_certificate(ctx.get(), cert.get());
    EXPECT_NE(SSL_CTX_check_private_key(ctx.get()), 1);
    (void)drain_errors();
}

INSTANTIATE_TEST_SUITE_P(
    Handshakes, Tls,
    testing::Values(
        handshake_case{"EC_P256_TLS12", "EC", "prime256v1", TLS1_2_VERSION, nullptr, EVP_PKEY_EC},
        handshake_case{"EC_P256_TLS13", "EC", "prime256v1", TLS1_3_VERSION, nullptr, EVP_PKEY_EC},
        handshake_case{"EC_P384_TLS13", "EC", "secp384r1", TLS1_3_VERSION, nullptr, EVP_PKEY_EC},
        handshake_case{"RSA_PSS_TLS12", "RSA", nullptr, TLS1_2_VERSION, nullptr, EVP_PKEY_RSA_PSS},
        handshake_case{"RSA_PKCS1_TLS12", "RSA", nullptr, TLS1_2_VERSION, "RSA+SHA256",
                       EVP_PKEY_RSA},
        handshake_case{"RSA_PSS_TLS13", "RSA", nullptr, TLS1_3_VERSION, nullptr, EVP_PKEY_RSA_PSS},
        handshake_case{"Ed25519_TLS12", "ED25519", nullptr, TLS1_2_VERSION, nullptr,
                       EVP_PKEY_ED25519},
        handshake_case{"Ed25519_TLS13", "ED25519", nullptr, TLS1_3_VERSION, nullptr,
                       EVP_PKEY_ED25519}),
    [](const testing::TestParamInfo<handshake_case>& info) {
        return std::string(info.param.name);
    });

} // namespace
