// SPDX-License-Identifier: MIT
// Ed25519 signatures with a key in secret memory (libsodium, in place), and
// their verification, which needs only the public key.
#include "dispatch.hpp"
#include "dispatch_tables.hpp"
#include "ed25519_key.hpp"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <sodium.h>

#include <array>
#include <cstring>
#include <new>

namespace secretmem::provider {
namespace {

struct signature_ctx {
    const ed25519_key_object* key = nullptr;
};

signature_ctx* context(void* ctx)
{
    return static_cast<signature_ctx*>(ctx);
}

void* new_ctx(void* /*provctx*/, const char* /*propq*/)
{
    return hand_over<signature_ctx>();
}

void free_ctx(void* ctx)
{
    take_back<signature_ctx>(ctx);
}

void* dup_ctx(void* ctx)
{
    return hand_over<signature_ctx>(*context(ctx));
}

// Ed25519 hashes the message itself: no digest may be named.
int init(void* ctx, const char* mdname, void* provkey)
{
    if (mdname != nullptr && mdname[0] != '\0')
        return 0;
    const auto* key = static_cast<const ed25519_key_object*>(provkey);
    if (key == nullptr || !key->key)
        return 0;
    context(ctx)->key = key;
    return 1;
}

int digest_sign_init(void* ctx, const char* mdname, void* provkey, const OSSL_PARAM /*params*/[])
{
    if (init(ctx, mdname, provkey) != 1 || !context(ctx)->key->key->has_private())
        return 0;
    return 1;
}

int digest_sign(void* ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize,
                const unsigned char* tbs, std::size_t tbslen)
{
    *siglen = ed25519_key::signature_size;
    if (sig == nullptr)
        return 1;
    if (sigsize < ed25519_key::signature_size)
        return 0;
    return context(ctx)->key->key->sign(std::span<const unsigned char>(tbs, tbslen),
                                        std::span<unsigned char, ed25519_key::signature_size>(
                                            sig, ed25519_key::signature_size))
               ? 1
               : 0;
}

int digest_verify_init(void* ctx, const char* mdname, void* provkey, const OSSL_PARAM /*params*/[])
{
    return init(ctx, mdname, provkey);
}

int digest_verify(void* ctx, const unsigned char* sig, std::size_t siglen, const unsigned char* tbs,
                  std::size_t tbslen)
{
    if (siglen != ed25519_key::signature_size)
        return 0;
    const auto pub = context(ctx)->key->key->public_key();
    return crypto_sign_ed25519_verify_detached(sig, tbs, tbslen, pub.data()) == 0 ? 1 : 0;
}

// The AlgorithmIdentifier of Ed25519 signatures (RFC 8410: the OID
// 1.3.101.112, no parameters), which X509_sign() and CMS ask for.
constexpr std::array<unsigned char, 7> algorithm_id{0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

int get_ctx_params(void* /*ctx*/, OSSL_PARAM params[])
{
    OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
    return p == nullptr ||
                   OSSL_PARAM_set_octet_string(p, algorithm_id.data(), algorithm_id.size()) == 1
               ? 1
               : 0;
}

const OSSL_PARAM* gettable_ctx_params(void* /*ctx*/, void* /*provctx*/)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, nullptr, 0),
        OSSL_PARAM_END,
    };
    return table;
}

} // namespace

const OSSL_DISPATCH ed25519_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, dispatch_fn(new_ctx)},
    {OSSL_FUNC_SIGNATURE_FREECTX, dispatch_fn(free_ctx)},
    {OSSL_FUNC_SIGNATURE_DUPCTX, dispatch_fn(dup_ctx)},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, dispatch_fn(digest_sign_init)},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN, dispatch_fn(digest_sign)},
    {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, dispatch_fn(digest_verify_init)},
    {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, dispatch_fn(digest_verify)},
    {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, dispatch_fn(get_ctx_params)},
    {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, dispatch_fn(gettable_ctx_params)},
    {0, nullptr},
};

} // namespace secretmem::provider
