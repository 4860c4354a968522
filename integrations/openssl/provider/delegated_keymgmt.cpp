// SPDX-License-Identifier: MIT
// Key management for delegated keys (delegated_key.hpp): each call is
// passed to the delegate's key object, except what would let the private
// half out (private export, private parameters, a dup that drops the
// selection).  One template serves EC, RSA and X25519.
#include "delegated_key.hpp"
#include "dispatch.hpp"
#include "dispatch_tables.hpp"
#include "errors.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace secretmem::provider {
namespace {

using openssl::pkey_ctx_ptr;
using openssl::pkey_ptr;

constexpr const char* backend_param = "secretmem-backend";

// OpenSSL's keymgmt selection in terms of EVP_PKEY_fromdata()/export().
int evp_selection(int selection)
{
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return EVP_PKEY_KEYPAIR;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0)
        return EVP_PKEY_PUBLIC_KEY;
    return EVP_PKEY_KEY_PARAMETERS;
}

bool has_any(const OSSL_PARAM* params, std::initializer_list<const char*> names)
{
    for (const char* name : names) {
        if (OSSL_PARAM_locate_const(params, name) != nullptr)
            return true;
    }
    return false;
}

// What an import of `params` gives the key, by the parameters present: an
// import may name a key pair and bring only the public key.
int imported_contents(int selection, const OSSL_PARAM* params)
{
    int contents = selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 &&
        has_any(params, {OSSL_PKEY_PARAM_PRIV_KEY, OSSL_PKEY_PARAM_RSA_D}))
        contents |= OSSL_KEYMGMT_SELECT_PRIVATE_KEY;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 &&
        has_any(params, {OSSL_PKEY_PARAM_PUB_KEY, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                         OSSL_PKEY_PARAM_RSA_N}))
        contents |= OSSL_KEYMGMT_SELECT_PUBLIC_KEY;
    return contents;
}

constexpr OSSL_PARAM no_params[] = {OSSL_PARAM_END};

pkey_ptr from_data(const secretmem_provider_ctx* provctx, const char* type, int selection,
                   const OSSL_PARAM* params = no_params)
{
    const pkey_ctx_ptr ctx(
        EVP_PKEY_CTX_new_from_name(provctx->libctx, type, SECRETMEM_DELEGATE_PROPQ));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, evp_selection(selection),
                          const_cast<OSSL_PARAM*>(params)) != 1)
        return nullptr;
    return pkey_ptr(key);
}

// Public parameters only: never the private key, whatever is asked.
constexpr std::array<std::string_view, 24> public_params{
    OSSL_PKEY_PARAM_BITS,
    OSSL_PKEY_PARAM_SECURITY_BITS,
    OSSL_PKEY_PARAM_MAX_SIZE,
    OSSL_PKEY_PARAM_DEFAULT_DIGEST,
    OSSL_PKEY_PARAM_MANDATORY_DIGEST,
    OSSL_PKEY_PARAM_GROUP_NAME,
    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
    OSSL_PKEY_PARAM_PUB_KEY,
    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
    OSSL_PKEY_PARAM_EC_ENCODING,
    OSSL_PKEY_PARAM_EC_PUB_X,
    OSSL_PKEY_PARAM_EC_PUB_Y,
    OSSL_PKEY_PARAM_EC_FIELD_TYPE,
    OSSL_PKEY_PARAM_EC_P,
    OSSL_PKEY_PARAM_EC_A,
    OSSL_PKEY_PARAM_EC_B,
    OSSL_PKEY_PARAM_EC_GENERATOR,
    OSSL_PKEY_PARAM_EC_ORDER,
    OSSL_PKEY_PARAM_EC_COFACTOR,
    OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
    OSSL_PKEY_PARAM_USE_COFACTOR_ECDH,
    OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC,
    OSSL_PKEY_PARAM_RSA_N,
    OSSL_PKEY_PARAM_RSA_E,
};

bool is_public_param(const char* name)
{
    for (const std::string_view allowed : public_params) {
        if (allowed == name)
            return true;
    }
    return false;
}

template <const delegated_algorithm& A>
struct keymgmt {
    static delegated_key* key(void* keydata) { return static_cast<delegated_key*>(keydata); }
    static const secretmem_provider_ctx* provider(void* provctx)
    {
        return static_cast<const secretmem_provider_ctx*>(provctx);
    }

    static void* new_key(void* provctx) { return hand_over<delegated_key>(provider(provctx), &A); }

    static void free_key(void* keydata) { take_back<delegated_key>(keydata); }

    // A key the store made (store.cpp): this keymgmt takes it over.
    static void* load(const void* reference, std::size_t size)
    {
        // The reference is the object's address (store.cpp).
        if (reference == nullptr || size != sizeof(void*))
            return nullptr;
        auto** slot = static_cast<delegated_key**>(const_cast<void*>(reference));
        delegated_key* loaded = *slot;
        if (loaded == nullptr || loaded->algorithm != &A)
            return nullptr;
        *slot = nullptr;
        return loaded;
    }

    static int has(const void* keydata, int selection)
    {
        const auto* k = static_cast<const delegated_key*>(keydata);
        if (k == nullptr)
            return 0;
        const int wanted =
            selection & (OSSL_KEYMGMT_SELECT_KEYPAIR | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS);
        if ((wanted & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 && !k->pkey)
            return 0;
        return (wanted & OSSL_KEYMGMT_SELECT_KEYPAIR & ~k->contents) == 0 ? 1 : 0;
    }

    static int match(const void* a, const void* b, int selection)
    {
        const auto* x = static_cast<const delegated_key*>(a);
        const auto* y = static_cast<const delegated_key*>(b);
        if (!x->pkey || !y->pkey)
            return 0;
        if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
            return EVP_PKEY_eq(x->pkey.get(), y->pkey.get()) == 1 ? 1 : 0;
        return EVP_PKEY_parameters_eq(x->pkey.get(), y->pkey.get()) == 1 ? 1 : 0;
    }

    static int import_key(void* keydata, int selection, const OSSL_PARAM params[])
    {
        delegated_key* k = key(keydata);
        if (k == nullptr)
            return 0;
        const int contents = imported_contents(selection, params);
        pkey_ptr imported = from_data(k->provctx, A.name, selection, params);
        if (!imported)
            return 0;
        k->pkey = std::move(imported);
        k->contents = contents;
        if (!accept(*k)) {
            k->pkey.reset();
            k->contents = 0;
            return 0;
        }
        return 1;
    }

    static const OSSL_PARAM* import_types(int selection)
    {
        return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? A.keypair_params
                                                                  : A.public_params;
    }

    // The public half and the parameters only.  No error is raised for a
    // private request: libcrypto asks that when it looks for a provider to
    // copy the key to, and takes the refusal as "run the operation here".
    static int export_key(void* keydata, int selection, OSSL_CALLBACK* callback, void* arg)
    {
        const delegated_key* k = key(keydata);
        if (k == nullptr || !k->pkey || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
            return 0;
        return EVP_PKEY_export(k->pkey.get(), evp_selection(selection), callback, arg);
    }

    static const OSSL_PARAM* export_types(int selection)
    {
        return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? nullptr : A.public_params;
    }

    static int get_params(void* keydata, OSSL_PARAM params[])
    {
        const delegated_key* k = key(keydata);
        if (k == nullptr || !k->pkey)
            return 0;
        for (OSSL_PARAM* p = params; p->key != nullptr; ++p) {
            if (std::strcmp(p->key, backend_param) == 0) {
                const char* backend = k->provctx->openssl_heap_backend;
                if (backend == nullptr || OSSL_PARAM_set_utf8_string(p, backend) != 1)
                    return 0;
                continue;
            }
            if (!is_public_param(p->key))
                continue;
            std::array<OSSL_PARAM, 2> one{*p, OSSL_PARAM_construct_end()};
            if (EVP_PKEY_get_params(k->pkey.get(), one.data()) != 1)
                return 0;
            p->return_size = one[0].return_size;
        }
        return 1;
    }

    static const OSSL_PARAM* gettable_params(void* /*provctx*/)
    {
        return delegated_gettable_params;
    }

    // The peer's public key in a key exchange (TLS), and its encoding.
    static int set_params(void* keydata, const OSSL_PARAM params[])
    {
        delegated_key* k = key(keydata);
        if (k == nullptr)
            return 0;
        const OSSL_PARAM* encoded =
            OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
        if (!k->pkey) {
            // A blank key (X25519's parameters-only copy): its encoded
            // public key is the public key itself.
            if (encoded == nullptr)
                return 0;
            const OSSL_PARAM pub[] = {
                OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, encoded->data, encoded->data_size),
                OSSL_PARAM_END,
            };
            k->pkey = from_data(k->provctx, A.name, OSSL_KEYMGMT_SELECT_PUBLIC_KEY, pub);
            if (!k->pkey)
                return 0;
            k->contents |= OSSL_KEYMGMT_SELECT_PUBLIC_KEY;
            return 1;
        }
        if (EVP_PKEY_set_params(k->pkey.get(), const_cast<OSSL_PARAM*>(params)) != 1)
            return 0;
        if (encoded != nullptr)
            k->contents |= OSSL_KEYMGMT_SELECT_PUBLIC_KEY;
        return 1;
    }

    static const OSSL_PARAM* settable_params(void* /*provctx*/)
    {
        return delegated_settable_params;
    }

    // A copy of what `selection` names: the delegate's own dup when the
    // private key is wanted, else the public parts exported and imported,
    // so that a parameters-only copy holds no private key.
    static void* dup(const void* keydata, int selection)
    {
        const auto* k = static_cast<const delegated_key*>(keydata);
        auto copy =
            std::unique_ptr<delegated_key>(new (std::nothrow) delegated_key{k->provctx, &A});
        if (!copy || !k->pkey)
            return copy.release();
        if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
            copy->pkey.reset(EVP_PKEY_dup(k->pkey.get()));
            copy->contents = k->contents & (selection | OSSL_KEYMGMT_SELECT_PUBLIC_KEY);
            return copy->pkey ? copy.release() : nullptr;
        }
        struct target {
            delegated_key* key;
            int selection;
        } t{copy.get(), selection};
        auto reimport = [](const OSSL_PARAM params[], void* arg) -> int {
            auto* to = static_cast<target*>(arg);
            to->key->pkey = from_data(to->key->provctx, A.name, to->selection, params);
            return to->key->pkey ? 1 : 0;
        };
        // A type without domain parameters (X25519) exports none: its
        // parameters-only copy is blank until set_params() gives it a
        // public key.
        const bool exported =
            EVP_PKEY_export(k->pkey.get(), evp_selection(selection), reimport, &t) == 1;
        if (!exported && (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
            return nullptr;
        copy->contents = k->contents & selection & ~OSSL_KEYMGMT_SELECT_PRIVATE_KEY;
        return copy.release();
    }

    static int validate(const void* keydata, int selection, int /*checktype*/)
    {
        const auto* k = static_cast<const delegated_key*>(keydata);
        if (k == nullptr || !k->pkey)
            return 0;
        const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(k->provctx->libctx, k->pkey.get(),
                                                          SECRETMEM_DELEGATE_PROPQ));
        if (!ctx)
            return 0;
        if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == OSSL_KEYMGMT_SELECT_KEYPAIR)
            return EVP_PKEY_pairwise_check(ctx.get()) == 1 ? 1 : 0;
        if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0)
            return EVP_PKEY_public_check(ctx.get()) == 1 ? 1 : 0;
        if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0)
            return EVP_PKEY_param_check(ctx.get()) == 1 ? 1 : 0;
        return 1;
    }

    static const char* query_operation_name(int operation_id)
    {
        switch (operation_id) {
        case OSSL_OP_SIGNATURE:
            return A.signature_name;
        case OSSL_OP_KEYEXCH:
            return A.keyexch_name;
        default:
            return nullptr;
        }
    }

    // Generation runs in the delegate, with its parameters (an EC group, an
    // RSA size) or a template key (TLS: the peer's group).
    struct gen_ctx {
        const secretmem_provider_ctx* provctx;
        int selection;
        pkey_ctx_ptr ctx;
    };

    static bool start_generation(gen_ctx& g, pkey_ctx_ptr ctx)
    {
        g.ctx = std::move(ctx);
        if (!g.ctx)
            return false;
        if ((g.selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
            return EVP_PKEY_keygen_init(g.ctx.get()) == 1;
        return EVP_PKEY_paramgen_init(g.ctx.get()) == 1;
    }

    static void* gen_init(void* provctx, int selection, const OSSL_PARAM params[])
    {
        const secretmem_provider_ctx* p = provider(provctx);
        auto g = std::unique_ptr<gen_ctx>(new (std::nothrow) gen_ctx{p, selection, nullptr});
        if (!g ||
            !start_generation(*g, pkey_ctx_ptr(EVP_PKEY_CTX_new_from_name(
                                      p->libctx, A.name, SECRETMEM_DELEGATE_PROPQ))) ||
            (params != nullptr && EVP_PKEY_CTX_set_params(g->ctx.get(), params) != 1))
            return nullptr;
        return g.release();
    }

    static int gen_set_params(void* genctx, const OSSL_PARAM params[])
    {
        return EVP_PKEY_CTX_set_params(static_cast<gen_ctx*>(genctx)->ctx.get(), params) == 1 ? 1
                                                                                              : 0;
    }

    static const OSSL_PARAM* gen_settable_params(void* genctx, void* provctx)
    {
        if (genctx != nullptr)
            return EVP_PKEY_CTX_settable_params(static_cast<gen_ctx*>(genctx)->ctx.get());
        // Asked before any generation: the delegate's table, which stays
        // valid while the delegate is loaded.
        gen_ctx g{provider(provctx), OSSL_KEYMGMT_SELECT_KEYPAIR, nullptr};
        if (!start_generation(g, pkey_ctx_ptr(EVP_PKEY_CTX_new_from_name(
                                     g.provctx->libctx, A.name, SECRETMEM_DELEGATE_PROPQ))))
            return nullptr;
        return EVP_PKEY_CTX_settable_params(g.ctx.get());
    }

    static int gen_set_template(void* genctx, void* templ)
    {
        auto* g = static_cast<gen_ctx*>(genctx);
        const delegated_key* t = key(templ);
        if (t == nullptr || !t->pkey)
            return 0;
        return start_generation(
                   *g, pkey_ctx_ptr(EVP_PKEY_CTX_new_from_pkey(g->provctx->libctx, t->pkey.get(),
                                                               SECRETMEM_DELEGATE_PROPQ)))
                   ? 1
                   : 0;
    }

    static void* generate(void* genctx, OSSL_CALLBACK* /*cb*/, void* /*cbarg*/)
    {
        auto* g = static_cast<gen_ctx*>(genctx);
        auto k = std::unique_ptr<delegated_key>(new (std::nothrow) delegated_key{g->provctx, &A});
        if (!k)
            return nullptr;
        EVP_PKEY* generated = nullptr;
        const bool pair = (g->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0;
        if ((pair ? EVP_PKEY_generate(g->ctx.get(), &generated)
                  : EVP_PKEY_paramgen(g->ctx.get(), &generated)) != 1)
            return nullptr;
        k->pkey.reset(generated);
        k->contents = OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | (pair ? OSSL_KEYMGMT_SELECT_KEYPAIR : 0);
        if (!accept(*k))
            return nullptr;
        return k.release();
    }

    static void gen_cleanup(void* genctx) { take_back<gen_ctx>(genctx); }

    static inline const OSSL_DISPATCH table[] = {
        {OSSL_FUNC_KEYMGMT_NEW, dispatch_fn(new_key)},
        {OSSL_FUNC_KEYMGMT_FREE, dispatch_fn(free_key)},
        {OSSL_FUNC_KEYMGMT_LOAD, dispatch_fn(load)},
        {OSSL_FUNC_KEYMGMT_HAS, dispatch_fn(has)},
        {OSSL_FUNC_KEYMGMT_MATCH, dispatch_fn(match)},
        {OSSL_FUNC_KEYMGMT_VALIDATE, dispatch_fn(validate)},
        {OSSL_FUNC_KEYMGMT_IMPORT, dispatch_fn(import_key)},
        {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, dispatch_fn(import_types)},
        {OSSL_FUNC_KEYMGMT_EXPORT, dispatch_fn(export_key)},
        {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, dispatch_fn(export_types)},
        {OSSL_FUNC_KEYMGMT_GET_PARAMS, dispatch_fn(get_params)},
        {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, dispatch_fn(gettable_params)},
        {OSSL_FUNC_KEYMGMT_SET_PARAMS, dispatch_fn(set_params)},
        {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, dispatch_fn(settable_params)},
        {OSSL_FUNC_KEYMGMT_DUP, dispatch_fn(dup)},
        {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, dispatch_fn(query_operation_name)},
        {OSSL_FUNC_KEYMGMT_GEN_INIT, dispatch_fn(gen_init)},
        {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, dispatch_fn(gen_set_params)},
        {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, dispatch_fn(gen_settable_params)},
        {OSSL_FUNC_KEYMGMT_GEN_SET_TEMPLATE, dispatch_fn(gen_set_template)},
        {OSSL_FUNC_KEYMGMT_GEN, dispatch_fn(generate)},
        {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, dispatch_fn(gen_cleanup)},
        {0, nullptr},
    };
};

} // namespace

const OSSL_DISPATCH* delegated_keymgmt(const delegated_algorithm& algorithm)
{
    if (&algorithm == &ec_algorithm)
        return keymgmt<ec_algorithm>::table;
    if (&algorithm == &rsa_algorithm)
        return keymgmt<rsa_algorithm>::table;
    return keymgmt<x25519_algorithm>::table;
}

} // namespace secretmem::provider
