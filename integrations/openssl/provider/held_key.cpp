// SPDX-License-Identifier: MIT
#include "held_key.hpp"

#include "delegated_key.hpp"
#include "dispatch.hpp"
#include "ed25519_key.hpp"
#include "errors.h"

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>

#include <array>
#include <memory>

namespace secretmem::provider {
namespace {

using openssl::pkey_ptr;

held_key hold_ed25519(const secretmem_provider_ctx* provctx, const EVP_PKEY* key, const char* what)
{
    region seed = region::allocate(ed25519_key::seed_size);
    std::size_t length = 0;
    auto w = seed.write();
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY,
                                        reinterpret_cast<unsigned char*>(w.data()),
                                        ed25519_key::seed_size, &length) != 1 ||
        length != ed25519_key::seed_size) {
        secretmem_raise(provctx, SECRETMEM_R_KEY_FILE_NOT_A_KEY, "%s", what);
        return {};
    }
    auto object = std::make_unique<ed25519_key_object>();
    object->provctx = provctx;
    object->key = ed25519_key::from_seed(std::span<const unsigned char, ed25519_key::seed_size>(
        reinterpret_cast<const unsigned char*>(w.data()), ed25519_key::seed_size));
    return {"ED25519", object.release(), take_back<ed25519_key_object>};
}

held_key hold_delegated(const secretmem_provider_ctx* provctx, pkey_ptr key,
                        const delegated_algorithm& algorithm)
{
    auto object = std::make_unique<delegated_key>();
    object->provctx = provctx;
    object->algorithm = &algorithm;
    object->pkey = std::move(key);
    object->contents = OSSL_KEYMGMT_SELECT_KEYPAIR | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS;
    if (!accept(*object))
        return {};
    return {algorithm.name, object.release(), take_back<delegated_key>};
}

} // namespace

held_key hold(const secretmem_provider_ctx* provctx, pkey_ptr key, const char* what)
{
    if (EVP_PKEY_is_a(key.get(), "ED25519") == 1)
        return hold_ed25519(provctx, key.get(), what);
    for (const delegated_algorithm* a : {&ec_algorithm, &rsa_algorithm, &x25519_algorithm}) {
        if (EVP_PKEY_is_a(key.get(), a->name) == 1)
            return hold_delegated(provctx, std::move(key), *a);
    }
    secretmem_raise(provctx, SECRETMEM_R_UNSUPPORTED_KEY, "%s holds a %s key", what,
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

thread_local bool decoding_elsewhere::active_ = false;

} // namespace secretmem::provider
