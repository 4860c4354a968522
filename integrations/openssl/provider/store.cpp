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
#include "ed25519_key.hpp"
#include "errors.h"
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

struct decoder_ctx_free {
    void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};
using decoder_ctx_ptr = std::unique_ptr<OSSL_DECODER_CTX, decoder_ctx_free>;

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
    if (OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1)
        return nullptr;
    return pkey_ptr(key);
}

// A decoded key, moved into an object this provider's keymgmt loads.
struct held_key {
    const char* type = nullptr;
    void* object = nullptr;
    void (*discard)(void*) = nullptr;
};

held_key hold_ed25519(const store_ctx& c, const EVP_PKEY* key)
{
    region seed = region::allocate(ed25519_key::seed_size);
    std::size_t length = 0;
    auto w = seed.write();
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY,
                                        reinterpret_cast<unsigned char*>(w.data()),
                                        ed25519_key::seed_size, &length) != 1 ||
        length != ed25519_key::seed_size) {
        secretmem_raise(c.provctx, SECRETMEM_R_KEY_FILE_NOT_A_KEY, "%s", c.path.c_str());
        return {};
    }
    auto object = std::make_unique<ed25519_key_object>();
    object->key = ed25519_key::from_seed(std::span<const unsigned char, ed25519_key::seed_size>(
        reinterpret_cast<const unsigned char*>(w.data()), ed25519_key::seed_size));
    return {"ED25519", object.release(), take_back<ed25519_key_object>};
}

held_key hold_delegated(const store_ctx& c, pkey_ptr key, const delegated_algorithm& algorithm)
{
    auto object = std::make_unique<delegated_key>(
        delegated_key{c.provctx, &algorithm, std::move(key),
                      OSSL_KEYMGMT_SELECT_KEYPAIR | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS});
    if (!accept(*object))
        return {};
    return {algorithm.name, object.release(), take_back<delegated_key>};
}

held_key hold(const store_ctx& c, pkey_ptr key)
{
    if (EVP_PKEY_is_a(key.get(), "ED25519") == 1)
        return hold_ed25519(c, key.get());
    for (const delegated_algorithm* a : {&ec_algorithm, &rsa_algorithm, &x25519_algorithm}) {
        if (EVP_PKEY_is_a(key.get(), a->name) == 1)
            return hold_delegated(c, std::move(key), *a);
    }
    secretmem_raise(c.provctx, SECRETMEM_R_UNSUPPORTED_KEY, "%s holds a %s key", c.path.c_str(),
                    EVP_PKEY_get0_type_name(key.get()));
    return {};
}

bool give(held_key& held, OSSL_CALLBACK* object_cb, void* object_cbarg)
{
    int type = OSSL_OBJECT_PKEY;
    std::array<OSSL_PARAM, 4> params{
        OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, const_cast<char*>(held.type),
                                         0),
        OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &held.object,
                                          sizeof held.object),
        OSSL_PARAM_construct_end(),
    };
    const int ok = object_cb(params.data(), object_cbarg);
    // The keymgmt's load() took the object, or nobody did.
    if (held.object != nullptr)
        held.discard(held.object);
    return ok == 1;
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
        held_key held = hold(*c, std::move(key));
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
