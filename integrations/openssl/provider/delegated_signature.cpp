// SPDX-License-Identifier: MIT
// Signatures with delegated keys (ECDSA, RSA PKCS#1 v1.5 and PSS): the
// delegate signs with its own key object, through an operation context of
// its own; the context parameters libssl sets (padding, salt length, MGF1
// digest) are passed to it unchanged.
#include "dispatch.hpp"
#include "dispatch_tables.hpp"
#include "errors.h"

#include <openssl_ptr.hpp>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>

#include <memory>
#include <new>

namespace secretmem::provider {
namespace {

using openssl::md_ctx_ptr;
using openssl::pkey_ctx_ptr;

struct signature_ctx {
    const secretmem_provider_ctx* provctx;
    const delegated_key* key = nullptr;
    pkey_ctx_ptr operation{}; // sign, verify, verify-recover
    md_ctx_ptr digest{};      // digest-sign, digest-verify
};

signature_ctx* context(void* ctx)
{
    return static_cast<signature_ctx*>(ctx);
}

// The delegate's context that parameters apply to.
EVP_PKEY_CTX* delegate_ctx(const signature_ctx* c)
{
    if (c->digest)
        return EVP_MD_CTX_get_pkey_ctx(c->digest.get());
    return c->operation.get();
}

const delegated_key* usable_key(void* provkey, bool needs_private)
{
    const auto* key = static_cast<const delegated_key*>(provkey);
    if (key == nullptr || !key->pkey || (needs_private && !key->has_private()))
        return nullptr;
    return key;
}

template <const delegated_algorithm& A>
struct signature {
    static void* new_ctx(void* provctx, const char* /*propq*/)
    {
        return hand_over<signature_ctx>(static_cast<const secretmem_provider_ctx*>(provctx));
    }

    static void free_ctx(void* ctx) { take_back<signature_ctx>(ctx); }

    static void* dup_ctx(void* ctx)
    {
        const signature_ctx* from = context(ctx);
        auto copy = std::unique_ptr<signature_ctx>(new (std::nothrow)
                                                       signature_ctx{from->provctx, from->key});
        if (!copy)
            return nullptr;
        if (from->operation) {
            copy->operation.reset(EVP_PKEY_CTX_dup(from->operation.get()));
            if (!copy->operation)
                return nullptr;
        }
        if (from->digest) {
            copy->digest.reset(EVP_MD_CTX_new());
            if (!copy->digest || EVP_MD_CTX_copy_ex(copy->digest.get(), from->digest.get()) != 1)
                return nullptr;
        }
        return copy.release();
    }

    template <int (*Init)(EVP_PKEY_CTX*, const OSSL_PARAM*)>
    static int operation_init(void* ctx, void* provkey, const OSSL_PARAM params[],
                              bool needs_private)
    {
        signature_ctx* c = context(ctx);
        c->key = usable_key(provkey, needs_private);
        c->digest.reset();
        if (c->key == nullptr)
            return 0;
        c->operation.reset(EVP_PKEY_CTX_new_from_pkey(c->provctx->libctx, c->key->pkey.get(),
                                                      SECRETMEM_DELEGATE_PROPQ));
        return c->operation && Init(c->operation.get(), params) == 1 ? 1 : 0;
    }

    static int sign_init(void* ctx, void* provkey, const OSSL_PARAM params[])
    {
        return operation_init<EVP_PKEY_sign_init_ex>(ctx, provkey, params, true);
    }

    static int sign(void* ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize,
                    const unsigned char* tbs, std::size_t tbslen)
    {
        *siglen = sigsize;
        return EVP_PKEY_sign(context(ctx)->operation.get(), sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
    }

    static int verify_init(void* ctx, void* provkey, const OSSL_PARAM params[])
    {
        return operation_init<EVP_PKEY_verify_init_ex>(ctx, provkey, params, false);
    }

    static int verify(void* ctx, const unsigned char* sig, std::size_t siglen,
                      const unsigned char* tbs, std::size_t tbslen)
    {
        return EVP_PKEY_verify(context(ctx)->operation.get(), sig, siglen, tbs, tbslen) == 1 ? 1
                                                                                             : 0;
    }

    static int verify_recover_init(void* ctx, void* provkey, const OSSL_PARAM params[])
    {
        return operation_init<EVP_PKEY_verify_recover_init_ex>(ctx, provkey, params, false);
    }

    static int verify_recover(void* ctx, unsigned char* rout, std::size_t* routlen,
                              std::size_t routsize, const unsigned char* sig, std::size_t siglen)
    {
        *routlen = routsize;
        return EVP_PKEY_verify_recover(context(ctx)->operation.get(), rout, routlen, sig, siglen) ==
                       1
                   ? 1
                   : 0;
    }

    // The delegate's digest context is finalised in place: libcrypto has
    // already duplicated ours where the caller may go on.
    static int digest_init(void* ctx, const char* mdname, void* provkey, const OSSL_PARAM params[],
                           bool for_signing)
    {
        signature_ctx* c = context(ctx);
        c->key = usable_key(provkey, for_signing);
        c->operation.reset();
        if (c->key == nullptr)
            return 0;
        // The common signature, with no parameters at init (libssl sets
        // its own after): a copy of the key's context for the digest.
        if (for_signing && (params == nullptr || params->key == nullptr)) {
            c->digest = c->key->signing.copy(c->provctx, c->key->pkey.get(), mdname);
            if (!c->digest)
                return 0;
            EVP_MD_CTX_set_flags(c->digest.get(), EVP_MD_CTX_FLAG_FINALISE);
            return 1;
        }
        c->digest.reset(EVP_MD_CTX_new());
        if (!c->digest)
            return 0;
        EVP_MD_CTX_set_flags(c->digest.get(), EVP_MD_CTX_FLAG_FINALISE);
        auto* init = for_signing ? EVP_DigestSignInit_ex : EVP_DigestVerifyInit_ex;
        return init(c->digest.get(), nullptr, mdname, c->provctx->libctx, SECRETMEM_DELEGATE_PROPQ,
                    c->key->pkey.get(), params) == 1
                   ? 1
                   : 0;
    }

    static int digest_sign_init(void* ctx, const char* mdname, void* provkey,
                                const OSSL_PARAM params[])
    {
        return digest_init(ctx, mdname, provkey, params, true);
    }

    static int digest_sign_update(void* ctx, const unsigned char* data, std::size_t datalen)
    {
        return EVP_DigestSignUpdate(context(ctx)->digest.get(), data, datalen) == 1 ? 1 : 0;
    }

    static int digest_sign_final(void* ctx, unsigned char* sig, std::size_t* siglen,
                                 std::size_t sigsize)
    {
        if (sig != nullptr)
            *siglen = sigsize;
        return EVP_DigestSignFinal(context(ctx)->digest.get(), sig, siglen) == 1 ? 1 : 0;
    }

    static int digest_sign(void* ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize,
                           const unsigned char* tbs, std::size_t tbslen)
    {
        if (sig != nullptr)
            *siglen = sigsize;
        return EVP_DigestSign(context(ctx)->digest.get(), sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
    }

    static int digest_verify_init(void* ctx, const char* mdname, void* provkey,
                                  const OSSL_PARAM params[])
    {
        return digest_init(ctx, mdname, provkey, params, false);
    }

    static int digest_verify_update(void* ctx, const unsigned char* data, std::size_t datalen)
    {
        return EVP_DigestVerifyUpdate(context(ctx)->digest.get(), data, datalen) == 1 ? 1 : 0;
    }

    static int digest_verify_final(void* ctx, const unsigned char* sig, std::size_t siglen)
    {
        return EVP_DigestVerifyFinal(context(ctx)->digest.get(), sig, siglen) == 1 ? 1 : 0;
    }

    static int digest_verify(void* ctx, const unsigned char* sig, std::size_t siglen,
                             const unsigned char* tbs, std::size_t tbslen)
    {
        return EVP_DigestVerify(context(ctx)->digest.get(), sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
    }

    static int get_ctx_params(void* ctx, OSSL_PARAM params[])
    {
        EVP_PKEY_CTX* d = delegate_ctx(context(ctx));
        return d != nullptr && EVP_PKEY_CTX_get_params(d, params) == 1 ? 1 : 0;
    }

    static int set_ctx_params(void* ctx, const OSSL_PARAM params[])
    {
        EVP_PKEY_CTX* d = delegate_ctx(context(ctx));
        if (params == nullptr || params->key == nullptr)
            return 1;
        return d != nullptr && EVP_PKEY_CTX_set_params(d, params) == 1 ? 1 : 0;
    }

    // Asked with or without a context: the delegate's own tables, which
    // stay valid while the delegate is loaded.
    template <const OSSL_PARAM* (*Table)(const EVP_SIGNATURE*)>
    static const OSSL_PARAM* delegate_table(void* provctx)
    {
        const auto* p = static_cast<const secretmem_provider_ctx*>(provctx);
        const openssl::signature_ptr fetched(
            EVP_SIGNATURE_fetch(p->libctx, A.signature_name, SECRETMEM_DELEGATE_PROPQ));
        return fetched ? Table(fetched.get()) : nullptr;
    }

    static const OSSL_PARAM* gettable_ctx_params(void* ctx, void* provctx)
    {
        if (ctx != nullptr && delegate_ctx(context(ctx)) != nullptr)
            return EVP_PKEY_CTX_gettable_params(delegate_ctx(context(ctx)));
        return delegate_table<EVP_SIGNATURE_gettable_ctx_params>(provctx);
    }

    static const OSSL_PARAM* settable_ctx_params(void* ctx, void* provctx)
    {
        if (ctx != nullptr && delegate_ctx(context(ctx)) != nullptr)
            return EVP_PKEY_CTX_settable_params(delegate_ctx(context(ctx)));
        return delegate_table<EVP_SIGNATURE_settable_ctx_params>(provctx);
    }

    static inline const OSSL_DISPATCH table[] = {
        {OSSL_FUNC_SIGNATURE_NEWCTX, dispatch_fn(new_ctx)},
        {OSSL_FUNC_SIGNATURE_FREECTX, dispatch_fn(free_ctx)},
        {OSSL_FUNC_SIGNATURE_DUPCTX, dispatch_fn(dup_ctx)},
        {OSSL_FUNC_SIGNATURE_SIGN_INIT, dispatch_fn(sign_init)},
        {OSSL_FUNC_SIGNATURE_SIGN, dispatch_fn(sign)},
        {OSSL_FUNC_SIGNATURE_VERIFY_INIT, dispatch_fn(verify_init)},
        {OSSL_FUNC_SIGNATURE_VERIFY, dispatch_fn(verify)},
        {OSSL_FUNC_SIGNATURE_VERIFY_RECOVER_INIT, dispatch_fn(verify_recover_init)},
        {OSSL_FUNC_SIGNATURE_VERIFY_RECOVER, dispatch_fn(verify_recover)},
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, dispatch_fn(digest_sign_init)},
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, dispatch_fn(digest_sign_update)},
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, dispatch_fn(digest_sign_final)},
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN, dispatch_fn(digest_sign)},
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, dispatch_fn(digest_verify_init)},
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, dispatch_fn(digest_verify_update)},
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, dispatch_fn(digest_verify_final)},
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, dispatch_fn(digest_verify)},
        {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, dispatch_fn(get_ctx_params)},
        {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, dispatch_fn(gettable_ctx_params)},
        {OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, dispatch_fn(set_ctx_params)},
        {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, dispatch_fn(settable_ctx_params)},
        {0, nullptr},
    };
};

} // namespace

const OSSL_DISPATCH* delegated_signature(const delegated_algorithm& algorithm)
{
    if (&algorithm == &ec_algorithm)
        return signature<ec_algorithm>::table;
    return signature<rsa_algorithm>::table;
}

} // namespace secretmem::provider
