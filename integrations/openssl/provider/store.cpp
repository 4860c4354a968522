// SPDX-License-Identifier: MIT
// The `secretmem:` store: `secretmem:/path/key.pem` names a private key
// file (PEM or DER, PKCS#8 or the traditional formats, encrypted or not)
// that is read straight into secret memory (key_file.hpp) and decoded into
// a key this provider holds.  The key reaches OpenSSL by reference: no
// private parameter crosses the API.
//
// Decoding runs OpenSSL's decoders, which copy the key through OpenSSL's
// heap, so the store, like the delegated keys, needs that heap secret.
#include "algorithms.h"
#include "delegated_key.hpp"
#include "dispatch.hpp"
#include "errors.h"
#include "held_key.hpp"
#include "key_file.hpp"

#include <openssl_ptr.hpp>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

namespace secretmem::provider {
namespace {

using openssl::pkey_ptr;

constexpr std::string_view scheme = "secretmem:";

using openssl::decoder_ctx_ptr;

struct store_ctx {
    const secretmem_provider_ctx* provctx;
    std::string path;
    int expect = 0; // OSSL_STORE_INFO_* the caller wants, 0 for any
    bool done = false;
};

store_ctx* context(void* ctx)
{
    return static_cast<store_ctx*>(ctx);
}

// `secretmem:PATH`, `secretmem://PATH` (PATH absolute then) or
// `secretmem:///PATH`.
void* open(void* provctx, const char* uri)
{
    const std::string_view u(uri);
    if (!u.starts_with(scheme))
        return nullptr;
    std::string_view path = u.substr(scheme.size());
    if (path.starts_with("//"))
        path.remove_prefix(2);
    if (path.empty())
        return nullptr;
    return hand_over<store_ctx>(static_cast<const secretmem_provider_ctx*>(provctx),
                                std::string(path));
}

const OSSL_PARAM* settable_ctx_params(void* /*provctx*/)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, nullptr),
        OSSL_PARAM_END,
    };
    return table;
}

int set_ctx_params(void* ctx, const OSSL_PARAM params[])
{
    const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
    return p == nullptr || OSSL_PARAM_get_int(p, &context(ctx)->expect) == 1 ? 1 : 0;
}

bool is_encrypted(std::span<const std::byte> file)
{
    const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
    if (text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
        text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos)
        return true;
    // A DER EncryptedPrivateKeyInfo; the attempt leaves no error behind.
    const auto* der = reinterpret_cast<const unsigned char*>(file.data());
    ERR_set_mark();
    X509_SIG* sig = d2i_X509_SIG(nullptr, &der, static_cast<long>(file.size()));
    ERR_pop_to_mark();
    X509_SIG_free(sig);
    return sig != nullptr;
}

pkey_ptr decode(const store_ctx& c, std::span<const std::byte> file,
                OSSL_PASSPHRASE_CALLBACK* pw_cb, void* pw_cbarg)
{
    EVP_PKEY* key = nullptr;
    const decoder_ctx_ptr decoder(
        OSSL_DECODER_CTX_new_for_pkey(&key, nullptr, nullptr, nullptr, OSSL_KEYMGMT_SELECT_KEYPAIR,
                                      c.provctx->libctx, SECRETMEM_DELEGATE_PROPQ));
    if (!decoder || OSSL_DECODER_CTX_set_passphrase_cb(decoder.get(), pw_cb, pw_cbarg) != 1)
        return nullptr;
    const auto* data = reinterpret_cast<const unsigned char*>(file.data());
    std::size_t length = file.size();
    const decoding_elsewhere guard;
    if (OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1)
        return nullptr;
    return pkey_ptr(key);
}

int load(void* ctx, OSSL_CALLBACK* object_cb, void* object_cbarg, OSSL_PASSPHRASE_CALLBACK* pw_cb,
         void* pw_cbarg)
{
    store_ctx* c = context(ctx);
    c->done = true;
    if (c->expect != 0 && c->expect != OSSL_STORE_INFO_PKEY)
        return 0;
    if (c->provctx->openssl_heap_secret == 0) {
        secretmem_raise(c->provctx, SECRETMEM_R_OPENSSL_HEAP_NOT_SECRET, "loading %s",
                        c->path.c_str());
        return 0;
    }
    try {
        const key_file file = read_key_file(c->path);
        if (!file.error.empty()) {
            secretmem_raise(c->provctx,
                            file.no_secret_memory ? SECRETMEM_R_NO_SECRET_MEMORY
                                                  : SECRETMEM_R_KEY_FILE_UNREADABLE,
                            "%s", file.error.c_str());
            return 0;
        }
        const auto r = file.contents.read();
        const std::span<const std::byte> bytes(r.data(), file.size);
        pkey_ptr key = decode(*c, bytes, pw_cb, pw_cbarg);
        if (!key) {
            secretmem_raise(c->provctx,
                            is_encrypted(bytes) ? SECRETMEM_R_WRONG_PASSPHRASE
                                                : SECRETMEM_R_KEY_FILE_NOT_A_KEY,
                            "%s", c->path.c_str());
            return 0;
        }
        held_key held = hold(c->provctx, std::move(key), c->path.c_str());
        return held.object != nullptr && give(held, object_cb, object_cbarg) ? 1 : 0;
    } catch (const std::exception& e) {
        secretmem_raise(c->provctx, SECRETMEM_R_NO_SECRET_MEMORY, "%s: %s", c->path.c_str(),
                        e.what());
        return 0;
    }
}

int eof(void* ctx)
{
    return context(ctx)->done ? 1 : 0;
}

int close(void* ctx)
{
    take_back<store_ctx>(ctx);
    return 1;
}

const OSSL_DISPATCH store_functions[] = {
    {OSSL_FUNC_STORE_OPEN, dispatch_fn(open)},
    {OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS, dispatch_fn(settable_ctx_params)},
    {OSSL_FUNC_STORE_SET_CTX_PARAMS, dispatch_fn(set_ctx_params)},
    {OSSL_FUNC_STORE_LOAD, dispatch_fn(load)},
    {OSSL_FUNC_STORE_EOF, dispatch_fn(eof)},
    {OSSL_FUNC_STORE_CLOSE, dispatch_fn(close)},
    {0, nullptr},
};

} // namespace

const OSSL_DISPATCH* secretmem_store()
{
    return store_functions;
}

} // namespace secretmem::provider
