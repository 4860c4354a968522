/* SPDX-License-Identifier: MIT */
/*
 * A program outside the tree that adds the installed secretmem provider
 * built in (secretmem-provider), with nothing but pkg-config's flags: the
 * provider must load, say who it is, and hold an Ed25519 key, which it
 * does in any process where a backend keeps memory out of the direct map.
 * With the argument no-secret-backend (there is none) it must refuse to
 * generate one instead: fail closed.
 */
#include <secretmem_provider.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <stdio.h>
#include <string.h>

static int fail(const char* what)
{
    fprintf(stderr, "provider-consumer: %s\n", what);
    return 1;
}

static int check_provider(OSSL_LIB_CTX* libctx, OSSL_PROVIDER* provider, int expect_key)
{
    const char* name = NULL;
    int status = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_NAME, (char**)&name, 0),
        OSSL_PARAM_construct_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_construct_end(),
    };
    if (OSSL_PROVIDER_get_params(provider, params) != 1 || name == NULL || status != 1)
        return fail("the provider does not answer its name and status");
    if (strstr(name, "secretmem") == NULL)
        return fail("the provider loaded is not secretmem's");

    EVP_PKEY_CTX* generate = EVP_PKEY_CTX_new_from_name(libctx, "ED25519", "provider=secretmem");
    EVP_PKEY* key = NULL;
    const int generated = generate != NULL && EVP_PKEY_keygen_init(generate) == 1 &&
                          EVP_PKEY_generate(generate, &key) == 1;
    EVP_PKEY_CTX_free(generate);
    if (!expect_key) {
        EVP_PKEY_free(key);
        if (generated)
            return fail("the provider generated a key with no secret backend to hold it");
        printf("provider-consumer: %s, built in, refuses keys: no secret backend\n", name);
        return 0;
    }
    if (!generated || key == NULL)
        return fail("the provider cannot generate an Ed25519 key");
    const char* holder = OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(key));
    const int held_here = holder != NULL && strcmp(holder, "secretmem") == 0;
    EVP_PKEY_free(key);
    if (!held_here)
        return fail("the Ed25519 key is not held by the secretmem provider");
    printf("provider-consumer: %s, built in, holds an Ed25519 key\n", name);
    return 0;
}

int main(int argc, char** argv)
{
    const int expect_key = !(argc > 1 && strcmp(argv[1], "no-secret-backend") == 0);
    OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
    if (libctx == NULL)
        return fail("OSSL_LIB_CTX_new failed");
    int status = 1;
    if (OSSL_PROVIDER_add_builtin(libctx, "secretmem", secretmem_provider_init) != 1) {
        status = fail("OSSL_PROVIDER_add_builtin failed");
    } else {
        OSSL_PROVIDER* provider = OSSL_PROVIDER_load(libctx, "secretmem");
        if (provider == NULL) {
            status = fail("OSSL_PROVIDER_load(\"secretmem\") failed");
        } else {
            status = check_provider(libctx, provider, expect_key);
            OSSL_PROVIDER_unload(provider);
        }
    }
    OSSL_LIB_CTX_free(libctx);
    return status;
}
