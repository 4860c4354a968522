// SPDX-License-Identifier: MIT
// Key management for Ed25519 keys held in secret memory.  The private key
// never leaves: export and the raw private key are refused, which is also
// what makes OpenSSL run every signature with such a key here.
#include "algorithms.h"
#include "dispatch.hpp"
#include "dispatch_tables.hpp"
#include "ed25519_key.hpp"
#include "errors.h"
#include "provider_ctx.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>

namespace secretmem::provider {
namespace {

constexpr int ed25519_bits = 253;
constexpr int ed25519_security_bits = 128;
constexpr const char* backend_param = "secretmem-backend";

using key_object = ed25519_key_object;

key_object* object(void* keydata)
{
    return static_cast<key_object*>(keydata);
}

void* new_key(void* provctx)
{
    return hand_over<key_object>(std::nullopt, static_cast<const secretmem_provider_ctx*>(provctx));
}

// No secret memory for a key: the SDK's reason (which backends were tried,
// what to do) goes on the error queue.
void raise_no_secret_memory(const secretmem_provider_ctx* provctx, const std::exception& e)
{
    secretmem_raise(provctx, SECRETMEM_R_NO_SECRET_MEMORY, "Ed25519 key: %s", e.what());
}

void free_key(void* keydata)
{
    take_back<key_object>(keydata);
}

// A key the store made (store.cpp): this keymgmt takes it over.
void* load(const void* reference, std::size_t size)
{
    // The reference is the object's address (store.cpp).
    if (reference == nullptr || size != sizeof(void*))
        return nullptr;
    auto** slot = static_cast<key_object**>(const_cast<void*>(reference));
    key_object* loaded = *slot;
    *slot = nullptr;
    return loaded;
}

int has(const void* keydata, int selection)
{
    const auto* k = static_cast<const key_object*>(keydata);
    if (k == nullptr || !k->key)
        return (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0 ? 1 : 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !k->key->has_private())
        return 0;
    return 1;
}

int match(const void* a, const void* b, int selection)
{
    const auto* x = static_cast<const key_object*>(a);
    const auto* y = static_cast<const key_object*>(b);
    if (!x->key || !y->key)
        return 0;
    // The public key is derived from the private one: equal public keys
    // are the same key pair.
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return 1;
    return std::ranges::equal(x->key->public_key(), y->key->public_key()) ? 1 : 0;
}

int import_key(void* keydata, int selection, const OSSL_PARAM params[])
{
    key_object* k = object(keydata);
    if (k == nullptr || (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return 0;
    try {
        if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
            const OSSL_PARAM* priv = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY);
            const void* data = nullptr;
            std::size_t size = 0;
            if (priv != nullptr && OSSL_PARAM_get_octet_string_ptr(priv, &data, &size) == 1 &&
                size == ed25519_key::seed_size) {
                k->key =
                    ed25519_key::from_seed(std::span<const unsigned char, ed25519_key::seed_size>(
                        static_cast<const unsigned char*>(data), size));
                return 1;
            }
            if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0)
                return 0;
        }
        const OSSL_PARAM* pub = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
        const void* data = nullptr;
        std::size_t size = 0;
        if (pub == nullptr || OSSL_PARAM_get_octet_string_ptr(pub, &data, &size) != 1 ||
            size != ed25519_key::public_size)
            return 0;
        k->key = ed25519_key::from_public(std::span<const unsigned char, ed25519_key::public_size>(
            static_cast<const unsigned char*>(data), size));
        return 1;
    } catch (const std::exception& e) {
        raise_no_secret_memory(k->provctx, e);
        return 0;
    }
}

const OSSL_PARAM* import_types(int selection)
{
    static const OSSL_PARAM public_only[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_END,
    };
    static const OSSL_PARAM keypair[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0),
        OSSL_PARAM_END,
    };
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? keypair : public_only;
}

// Only the public half: a request that includes the private key fails.
int export_key(void* keydata, int selection, OSSL_CALLBACK* callback, void* arg)
{
    const key_object* k = object(keydata);
    if (k == nullptr || !k->key || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0)
        return 0;
    auto pub = k->key->public_key();
    std::array<unsigned char, ed25519_key::public_size> copy{};
    std::copy(pub.begin(), pub.end(), copy.begin());
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, copy.data(), copy.size()),
        OSSL_PARAM_construct_end(),
    };
    return callback(params, arg);
}

const OSSL_PARAM* export_types(int selection)
{
    static const OSSL_PARAM public_only[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_END,
    };
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? nullptr : public_only;
}

int get_params(void* keydata, OSSL_PARAM params[])
{
    const key_object* k = object(keydata);
    if (k == nullptr || !k->key)
        return 0;
    OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS);
    if (p != nullptr && OSSL_PARAM_set_int(p, ed25519_bits) != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS);
    if (p != nullptr && OSSL_PARAM_set_int(p, ed25519_security_bits) != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE);
    if (p != nullptr && OSSL_PARAM_set_int(p, ed25519_key::signature_size) != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MANDATORY_DIGEST);
    if (p != nullptr && OSSL_PARAM_set_utf8_string(p, "") != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY);
    if (p != nullptr) {
        auto pub = k->key->public_key();
        if (OSSL_PARAM_set_octet_string(p, pub.data(), pub.size()) != 1)
            return 0;
    }
    // Never a silent downgrade: the caller can ask which backend holds it.
    p = OSSL_PARAM_locate(params, backend_param);
    if (p != nullptr) {
        const char* name = k->key->backend_name();
        if (name == nullptr || OSSL_PARAM_set_utf8_string(p, name) != 1)
            return 0;
    }
    return 1;
}

const OSSL_PARAM* gettable_params(void* /*provctx*/)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
        OSSL_PARAM_utf8_string(backend_param, nullptr, 0),
        OSSL_PARAM_END,
    };
    return table;
}

// Generation takes no parameters: the selection says whether a key pair
// is wanted at all.
struct gen_ctx {
    int selection;
    const secretmem_provider_ctx* provctx;
};

void* gen_init(void* provctx, int selection, const OSSL_PARAM /*params*/[])
{
    return hand_over<gen_ctx>(selection, static_cast<const secretmem_provider_ctx*>(provctx));
}

void* generate(void* genctx, OSSL_CALLBACK* /*cb*/, void* /*cbarg*/)
{
    const auto* g = static_cast<gen_ctx*>(genctx);
    if ((g->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return nullptr;
    try {
        return hand_over<key_object>(ed25519_key::generate(), g->provctx);
    } catch (const std::exception& e) {
        raise_no_secret_memory(g->provctx, e);
        return nullptr;
    }
}

// EVP_PKEY_Q_keygen() sets an empty parameter list; OpenSSL fails the
// generation when a keymgmt cannot take one.
int gen_set_params(void* /*genctx*/, const OSSL_PARAM /*params*/[])
{
    return 1;
}

const OSSL_PARAM* gen_settable_params(void* /*genctx*/, void* /*provctx*/)
{
    static const OSSL_PARAM none[] = {OSSL_PARAM_END};
    return none;
}

void gen_cleanup(void* genctx)
{
    take_back<gen_ctx>(genctx);
}

} // namespace

const OSSL_DISPATCH ed25519_keymgmt_functions[] = {
    {OSSL_FUNC_KEYMGMT_NEW, dispatch_fn(new_key)},
    {OSSL_FUNC_KEYMGMT_FREE, dispatch_fn(free_key)},
    {OSSL_FUNC_KEYMGMT_LOAD, dispatch_fn(load)},
    {OSSL_FUNC_KEYMGMT_HAS, dispatch_fn(has)},
    {OSSL_FUNC_KEYMGMT_MATCH, dispatch_fn(match)},
    {OSSL_FUNC_KEYMGMT_IMPORT, dispatch_fn(import_key)},
    {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, dispatch_fn(import_types)},
    {OSSL_FUNC_KEYMGMT_EXPORT, dispatch_fn(export_key)},
    {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, dispatch_fn(export_types)},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, dispatch_fn(get_params)},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, dispatch_fn(gettable_params)},
    {OSSL_FUNC_KEYMGMT_GEN_INIT, dispatch_fn(gen_init)},
    {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, dispatch_fn(gen_set_params)},
    {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, dispatch_fn(gen_settable_params)},
    {OSSL_FUNC_KEYMGMT_GEN, dispatch_fn(generate)},
    {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, dispatch_fn(gen_cleanup)},
    {0, nullptr},
};

} // namespace secretmem::provider
