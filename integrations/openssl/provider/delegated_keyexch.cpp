// SPDX-License-Identifier: MIT
// Key exchange with delegated keys (ECDH, X25519): a static key in secret
// memory, or the ephemeral key libssl generates through this provider.
// The shared secret goes straight into the caller's buffer.
#include "dispatch.hpp"
#include "dispatch_tables.hpp"

#include <openssl_ptr.hpp>

#include <openssl/core_dispatch.h>

#include <memory>
#include <new>

namespace secretmem::provider {
namespace {

using openssl::pkey_ctx_ptr;

struct keyexch_ctx {
    const secretmem_provider_ctx* provctx;
    pkey_ctx_ptr operation{};
};

keyexch_ctx* context(void* ctx)
{
    return static_cast<keyexch_ctx*>(ctx);
}

template <const delegated_algorithm& A>
struct keyexch {
    static void* new_ctx(void* provctx)
    {
        return hand_over<keyexch_ctx>(static_cast<const secretmem_provider_ctx*>(provctx));
    }

    static void free_ctx(void* ctx) { take_back<keyexch_ctx>(ctx); }

    static void* dup_ctx(void* ctx)
    {
        const keyexch_ctx* from = context(ctx);
        auto copy = std::unique_ptr<keyexch_ctx>(new (std::nothrow) keyexch_ctx{from->provctx});
        if (!copy)
            return nullptr;
        if (from->operation) {
            copy->operation.reset(EVP_PKEY_CTX_dup(from->operation.get()));
            if (!copy->operation)
                return nullptr;
        }
        return copy.release();
    }

    static int init(void* ctx, void* provkey, const OSSL_PARAM params[])
    {
        keyexch_ctx* c = context(ctx);
        const auto* key = static_cast<const delegated_key*>(provkey);
        if (key == nullptr || !key->pkey || !key->has_private())
            return 0;
        c->operation.reset(EVP_PKEY_CTX_new_from_pkey(c->provctx->libctx, key->pkey.get(),
                                                      SECRETMEM_DELEGATE_PROPQ));
        return c->operation && EVP_PKEY_derive_init_ex(c->operation.get(), params) == 1 ? 1 : 0;
    }

    // libcrypto has checked the peer (this keymgmt's validate) already.
    static int set_peer(void* ctx, void* provkey)
    {
        const auto* peer = static_cast<const delegated_key*>(provkey);
        if (peer == nullptr || !peer->pkey || !context(ctx)->operation)
            return 0;
        return EVP_PKEY_derive_set_peer_ex(context(ctx)->operation.get(), peer->pkey.get(), 0) == 1
                   ? 1
                   : 0;
    }

    static int derive(void* ctx, unsigned char* secret, std::size_t* secretlen, std::size_t outlen)
    {
        if (secret != nullptr)
            *secretlen = outlen;
        return EVP_PKEY_derive(context(ctx)->operation.get(), secret, secretlen) == 1 ? 1 : 0;
    }

    static int set_ctx_params(void* ctx, const OSSL_PARAM params[])
    {
        if (params == nullptr || params->key == nullptr)
            return 1;
        EVP_PKEY_CTX* d = context(ctx)->operation.get();
        return d != nullptr && EVP_PKEY_CTX_set_params(d, params) == 1 ? 1 : 0;
    }

    static int get_ctx_params(void* ctx, OSSL_PARAM params[])
    {
        EVP_PKEY_CTX* d = context(ctx)->operation.get();
        return d != nullptr && EVP_PKEY_CTX_get_params(d, params) == 1 ? 1 : 0;
    }

    template <const OSSL_PARAM* (*Table)(const EVP_KEYEXCH*)>
    static const OSSL_PARAM* delegate_table(void* provctx)
    {
        const auto* p = static_cast<const secretmem_provider_ctx*>(provctx);
        const openssl::keyexch_ptr fetched(
            EVP_KEYEXCH_fetch(p->libctx, A.keyexch_name, SECRETMEM_DELEGATE_PROPQ));
        return fetched ? Table(fetched.get()) : nullptr;
    }

    static const OSSL_PARAM* settable_ctx_params(void* ctx, void* provctx)
    {
        if (ctx != nullptr && context(ctx)->operation)
            return EVP_PKEY_CTX_settable_params(context(ctx)->operation.get());
        return delegate_table<EVP_KEYEXCH_settable_ctx_params>(provctx);
    }

    static const OSSL_PARAM* gettable_ctx_params(void* ctx, void* provctx)
    {
        if (ctx != nullptr && context(ctx)->operation)
            return EVP_PKEY_CTX_gettable_params(context(ctx)->operation.get());
        return delegate_table<EVP_KEYEXCH_gettable_ctx_params>(provctx);
    }

    static inline const OSSL_DISPATCH table[] = {
        {OSSL_FUNC_KEYEXCH_NEWCTX, dispatch_fn(new_ctx)},
        {OSSL_FUNC_KEYEXCH_FREECTX, dispatch_fn(free_ctx)},
        {OSSL_FUNC_KEYEXCH_DUPCTX, dispatch_fn(dup_ctx)},
        {OSSL_FUNC_KEYEXCH_INIT, dispatch_fn(init)},
        {OSSL_FUNC_KEYEXCH_SET_PEER, dispatch_fn(set_peer)},
        {OSSL_FUNC_KEYEXCH_DERIVE, dispatch_fn(derive)},
        {OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, dispatch_fn(set_ctx_params)},
        {OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS, dispatch_fn(settable_ctx_params)},
        {OSSL_FUNC_KEYEXCH_GET_CTX_PARAMS, dispatch_fn(get_ctx_params)},
        {OSSL_FUNC_KEYEXCH_GETTABLE_CTX_PARAMS, dispatch_fn(gettable_ctx_params)},
        {0, nullptr},
    };
};

} // namespace

const OSSL_DISPATCH* delegated_keyexch(const delegated_algorithm& algorithm)
{
    if (&algorithm == &ec_algorithm)
        return keyexch<ec_algorithm>::table;
    return keyexch<x25519_algorithm>::table;
}

} // namespace secretmem::provider
