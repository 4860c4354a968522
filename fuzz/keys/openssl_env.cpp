// SPDX-License-Identifier: MIT
#include "openssl_env.hpp"

#include "../common/check.hpp"

#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstdlib>
#include <string_view>

#ifndef SECRETMEM_FUZZ_PROVIDER_DIR
#error "SECRETMEM_FUZZ_PROVIDER_DIR (where the build put secretmem.so) must be defined"
#endif

namespace secretmem::fuzz {
namespace {

// SECRETMEM_FUZZ_PROVIDER_DIR in the environment overrides the build's.
const char* provider_dir()
{
    const char* dir = std::getenv("SECRETMEM_FUZZ_PROVIDER_DIR");
    return dir != nullptr && dir[0] != '\0' ? dir : SECRETMEM_FUZZ_PROVIDER_DIR;
}

std::string_view openssl_heap_of(OSSL_PROVIDER* provider)
{
    const char* heap = nullptr;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_ptr("secretmem-openssl-heap", const_cast<char**>(&heap), 0),
        OSSL_PARAM_construct_end(),
    };
    if (OSSL_PROVIDER_get_params(provider, params) != 1 || heap == nullptr)
        return "(not answered)";
    return heap;
}

openssl_env make_environment()
{
    openssl_env env{OSSL_LIB_CTX_new(), OSSL_LIB_CTX_new()};
    FUZZ_CHECK(env.app != nullptr && env.reference != nullptr, "OSSL_LIB_CTX_new failed");
    FUZZ_CHECK(OSSL_PROVIDER_load(env.app, "default") != nullptr &&
                   OSSL_PROVIDER_load(env.reference, "default") != nullptr,
               "no default provider");
    FUZZ_CHECK(OSSL_PROVIDER_set_default_search_path(env.app, provider_dir()) == 1,
               "cannot search %s", provider_dir());
    OSSL_PROVIDER* secretmem = OSSL_PROVIDER_load(env.app, "secretmem");
    FUZZ_CHECK(secretmem != nullptr, "cannot load secretmem.so from %s (build it first)",
               provider_dir());
    // heap_probe_stand_in.cpp must have answered the provider's probe.
    const std::string_view heap = openssl_heap_of(secretmem);
    FUZZ_CHECK(heap == "fuzz-stand-in", "the provider sees OpenSSL's heap as %.*s",
               static_cast<int>(heap.size()), heap.data());
    ERR_clear_error();
    return env;
}

} // namespace

const openssl_env& environment()
{
    static const openssl_env env = make_environment();
    return env;
}

} // namespace secretmem::fuzz
