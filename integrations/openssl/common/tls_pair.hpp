// SPDX-License-Identifier: MIT
// A TLS server and client in one process, for the provider's tests and its
// benchmark: a self-signed certificate for a key (signed by that key, so in
// its provider), and a handshake stepped on both ends over a BIO pair.
#pragma once

#include <openssl_ptr.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace secretmem::openssl {

using x509_ptr = std::unique_ptr<X509, openssl_free<X509, X509_free>>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, openssl_free<SSL_CTX, SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, openssl_free<SSL, SSL_free>>;

// "CN=localhost", valid for a day, signed with SHA-256 (Ed25519: itself).
inline x509_ptr self_signed(EVP_PKEY* key, OSSL_LIB_CTX* libctx)
{
    x509_ptr cert(X509_new_ex(libctx, nullptr));
    if (!cert)
        return nullptr;
    X509_NAME* name = X509_get_subject_name(cert.get());
    const EVP_MD* md = EVP_PKEY_is_a(key, "ED25519") == 1 ? nullptr : EVP_sha256();
    const bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
                    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
                    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr &&
                    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr &&
                    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                               reinterpret_cast<const unsigned char*>("localhost"),
                                               -1, -1, 0) == 1 &&
                    X509_set_issuer_name(cert.get(), name) == 1 &&
                    X509_set_pubkey(cert.get(), key) == 1 && X509_sign(cert.get(), key, md) > 0;
    return ok ? std::move(cert) : nullptr;
}

// A server and a client joined by a BIO pair, ready to handshake.
struct tls_pair {
    ssl_ptr server;
    ssl_ptr client;

    tls_pair(SSL_CTX* server_ctx, SSL_CTX* client_ctx)
        : server(SSL_new(server_ctx)), client(SSL_new(client_ctx))
    {
        BIO* server_end = nullptr;
        BIO* client_end = nullptr;
        if (!server || !client || BIO_new_bio_pair(&server_end, 0, &client_end, 0) != 1) {
            server.reset();
            client.reset();
            return;
        }
        SSL_set_bio(server.get(), server_end, server_end);
        SSL_set_bio(client.get(), client_end, client_end);
        SSL_set_accept_state(server.get());
        SSL_set_connect_state(client.get());
    }

    // Both ends step until both are done; false if either fails or it
    // never ends.
    [[nodiscard]] bool handshake() const
    {
        if (!server || !client)
            return false;
        bool client_done = false;
        bool server_done = false;
        for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
            if (!client_done && !step(client.get(), client_done))
                return false;
            if (!server_done && !step(server.get(), server_done))
                return false;
        }
        return client_done && server_done;
    }

private:
    static bool step(SSL* ssl, bool& done)
    {
        const int r = SSL_do_handshake(ssl);
        done = r == 1;
        return r == 1 || SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
    }
};

} // namespace secretmem::openssl
