// SPDX-License-Identifier: MIT
// A decoder of DER private keys (PKCS#8 PrivateKeyInfo and the traditional
// type-specific forms) into keys this provider holds, so that a program that
// loads its key the usual way (SSL_CTX_use_PrivateKey_file(),
// PEM_read_bio_PrivateKey(), `openssl ... -key FILE`) gets it in secret
// memory once secretmem is loaded after the default provider.  libcrypto
// turns PEM into DER and decrypts an EncryptedPrivateKeyInfo with the
// default provider's decoders, then tries the last-loaded provider's
// decoder first; its keymgmt then takes the key by reference.
//
// The DER passes through OpenSSL's heap, so, like the delegated keys, this
// decoder works only where that heap is secret; elsewhere it declines and
// the default provider's decoder takes the key as if secretmem were not
// loaded.
#include "dispatch.hpp"
#include "dispatch_tables.hpp"
#include "errors.h"
#include "held_key.hpp"

#include <openssl_ptr.hpp>

#include <openssl/bio.h>
#include <openssl/core_dispatch.h>
#include <openssl/decoder.h>
#include <openssl/err.h>

#include <array>
#include <exception>
#include <memory>

namespace secretmem::provider {
namespace {

using openssl::bio_ptr;
using openssl::decoder_ctx_ptr;
using openssl::pkey_ptr;

struct decoder {
    const secretmem_provider_ctx* provctx;
};

void* new_ctx(void* provctx)
{
    return hand_over<decoder>(static_cast<const secretmem_provider_ctx*>(provctx));
}

void free_ctx(void* ctx)
{
    take_back<decoder>(ctx);
}

// Private keys only: public keys and parameters are the default provider's.
int does_selection(void* /*provctx*/, int selection)
{
    return selection == 0 || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? 1 : 0;
}

// The whole input, in a memory BIO of OpenSSL's (secret) heap.
bio_ptr read_all(const secretmem_provider_ctx* p, OSSL_CORE_BIO* cin)
{
    const bio_ptr in(BIO_new_from_core_bio(p->libctx, cin));
    bio_ptr copy(BIO_new(BIO_s_secmem()));
    if (!in || !copy)
        return nullptr;
    std::array<char, 4096> chunk{};
    for (;;) {
        const int n = BIO_read(in.get(), chunk.data(), static_cast<int>(chunk.size()));
        if (n <= 0)
            break;
        if (BIO_write(copy.get(), chunk.data(), n) != n) {
            OPENSSL_cleanse(chunk.data(), chunk.size());
            return nullptr;
        }
    }
    OPENSSL_cleanse(chunk.data(), chunk.size());
    return copy;
}

template <const char* Structure>
int decode(void* ctx, OSSL_CORE_BIO* cin, int selection, OSSL_CALLBACK* data_cb, void* data_cbarg,
           OSSL_PASSPHRASE_CALLBACK* /*pw_cb*/, void* /*pw_cbarg*/)
{
    const secretmem_provider_ctx* p = static_cast<decoder*>(ctx)->provctx;
    // Declining is success without an object: the next decoder tries.
    if (p->openssl_heap_secret == 0 || does_selection(nullptr, selection) == 0 ||
        decoding_elsewhere::active())
        return 1;
    const auto der = read_all(p, cin);
    if (!der)
        return 1;
    EVP_PKEY* raw = nullptr;
    const decoder_ctx_ptr dctx(OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", Structure, nullptr,
                                                             OSSL_KEYMGMT_SELECT_KEYPAIR, p->libctx,
                                                             SECRETMEM_DELEGATE_PROPQ));
    bool decoded = false;
    {
        const decoding_elsewhere guard;
        ERR_set_mark();
        decoded = dctx && OSSL_DECODER_from_bio(dctx.get(), der.get()) == 1;
        ERR_pop_to_mark();
    }
    if (!decoded)
        return 1;
    try {
        held_key held = hold(p, pkey_ptr(raw), "the decoded key");
        if (held.object == nullptr)
            return 0; // a key, but not one this provider holds: the queue says why
        return give(held, data_cb, data_cbarg) ? 1 : 0;
    } catch (const std::exception& e) {
        secretmem_raise(p, SECRETMEM_R_NO_SECRET_MEMORY, "the decoded key: %s", e.what());
        return 0;
    }
}

template <const char* Structure>
const OSSL_DISPATCH functions[] = {
    {OSSL_FUNC_DECODER_NEWCTX, dispatch_fn(new_ctx)},
    {OSSL_FUNC_DECODER_FREECTX, dispatch_fn(free_ctx)},
    {OSSL_FUNC_DECODER_DOES_SELECTION, dispatch_fn(does_selection)},
    {OSSL_FUNC_DECODER_DECODE, dispatch_fn(decode<Structure>)},
    {0, nullptr},
};

constexpr char pkcs8[] = "PrivateKeyInfo";
constexpr char type_specific[] = "type-specific";

} // namespace

const OSSL_DISPATCH* private_key_decoder(bool pkcs8_structure)
{
    return pkcs8_structure ? functions<pkcs8> : functions<type_specific>;
}

} // namespace secretmem::provider
