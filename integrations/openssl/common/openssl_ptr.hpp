// SPDX-License-Identifier: MIT
// OpenSSL objects owned by unique_ptr, each freed by its own free function,
// for the provider and the tests that drive libcrypto.  BIGNUMs are
// cleared: they may hold private numbers.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>

namespace secretmem::openssl {

template <typename T, void (*Free)(T*)>
struct openssl_free {
    void operator()(T* object) const { Free(object); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<EVP_PKEY, EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free<EVP_MD_CTX, EVP_MD_CTX_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free<BIGNUM, BN_clear_free>>;
using signature_ptr =
    std::unique_ptr<EVP_SIGNATURE, openssl_free<EVP_SIGNATURE, EVP_SIGNATURE_free>>;
using keyexch_ptr = std::unique_ptr<EVP_KEYEXCH, openssl_free<EVP_KEYEXCH, EVP_KEYEXCH_free>>;
using decoder_ctx_ptr =
    std::unique_ptr<OSSL_DECODER_CTX, openssl_free<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_free<BIO, BIO_free_all>>;
using libctx_ptr = std::unique_ptr<OSSL_LIB_CTX, openssl_free<OSSL_LIB_CTX, OSSL_LIB_CTX_free>>;

// A provider from OSSL_PROVIDER_load(), unloaded: the caller's reference
// keeps it from being torn down even when its library context is freed.
// Destroy it before that context.
struct provider_unload {
    void operator()(OSSL_PROVIDER* provider) const { OSSL_PROVIDER_unload(provider); }
};
using provider_ptr = std::unique_ptr<OSSL_PROVIDER, provider_unload>;

} // namespace secretmem::openssl
