// SPDX-License-Identifier: MIT
// provider-bench: private-key operations with the key in the secretmem
// provider against the same operations with the key in OpenSSL's default
// provider, in one process.
//
//   sign/ALG/HOLDER        one EVP_DigestSign of 32 bytes, as libssl makes
//                          it (a fresh context per signature)
//   tls13/ALG/HOLDER       one full TLS 1.3 handshake, client and server, in
//                          process over a BIO pair, the server's key with HOLDER
//
// ALG: ECDSA-P256, Ed25519, RSA-2048.  HOLDER: default (a library context
// with the default provider alone) or secretmem (one with secretmem built in
// before default, the key generated in secretmem).  EC and RSA keys are in
// the provider only where OpenSSL's heap is secret: under
// libsecretmem-preload.so; elsewhere those cases skip, saying so.
// bench/run-provider-bench.sh runs it with and without the preload.
#include "command_line.hpp"
#include "registration.hpp"

#include <secretmem_provider.h>

#include <openssl_ptr.hpp>
#include <tls_pair.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using secretmem::openssl::libctx_ptr;
using secretmem::openssl::md_ctx_ptr;
using secretmem::openssl::pkey_ctx_ptr;
using secretmem::openssl::pkey_ptr;
using secretmem::openssl::provider_ptr;
using secretmem::openssl::ssl_ctx_ptr;
using secretmem::openssl::tls_pair;
using secretmem::openssl::x509_ptr;

enum class holder { default_provider, secretmem };

struct algorithm {
    const char* name;
    const char* type;
    const char* group; // EC group, or nullptr
    unsigned int bits; // RSA size, or 0
    const EVP_MD* (*digest)();
};

const std::array<algorithm, 3> algorithms{{
    {"ECDSA-P256", "EC", "prime256v1", 0, EVP_sha256},
    {"Ed25519", "ED25519", nullptr, 0, nullptr},
    {"RSA-2048", "RSA", nullptr, 2048, EVP_sha256},
}};

// The two library contexts, made once.
struct contexts {
    libctx_ptr plain{OSSL_LIB_CTX_new()};
    libctx_ptr with_secretmem{OSSL_LIB_CTX_new()};
    // After the contexts: unloaded before they are freed.
    provider_ptr plain_default;
    provider_ptr secretmem_default;
    provider_ptr secretmem;
    std::string openssl_heap = "?";

    contexts()
    {
        // Before this object is done, so that OpenSSL's clean-up at exit is
        // registered first and runs after the destructor, not before it.
        OPENSSL_init_ssl(0, nullptr);
        plain_default.reset(OSSL_PROVIDER_load(plain.get(), "default"));
        OSSL_PROVIDER_add_builtin(with_secretmem.get(), "secretmem", secretmem_provider_init);
        secretmem_default.reset(OSSL_PROVIDER_load(with_secretmem.get(), "default"));
        secretmem.reset(OSSL_PROVIDER_load(with_secretmem.get(), "secretmem"));
        const char* heap = nullptr;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_ptr("secretmem-openssl-heap", const_cast<char**>(&heap), 0),
            OSSL_PARAM_construct_end(),
        };
        if (secretmem && OSSL_PROVIDER_get_params(secretmem.get(), params) == 1 && heap != nullptr)
            openssl_heap = heap;
    }

    [[nodiscard]] OSSL_LIB_CTX* of(holder h) const
    {
        return h == holder::secretmem ? with_secretmem.get() : plain.get();
    }
};

const contexts& ctx()
{
    static const contexts c;
    return c;
}

pkey_ptr generate(const algorithm& a, holder h)
{
    const pkey_ctx_ptr g(EVP_PKEY_CTX_new_from_name(
        ctx().of(h), a.type, h == holder::secretmem ? "provider=secretmem" : "provider=default"));
    unsigned int bits = a.bits;
    std::vector<OSSL_PARAM> params;
    if (a.group != nullptr) {
        params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                          const_cast<char*>(a.group), 0));
    }
    if (bits != 0)
        params.push_back(OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits));
    params.push_back(OSSL_PARAM_construct_end());
    EVP_PKEY* key = nullptr;
    if (!g || EVP_PKEY_keygen_init(g.get()) != 1 ||
        EVP_PKEY_CTX_set_params(g.get(), params.data()) != 1 ||
        EVP_PKEY_generate(g.get(), &key) != 1)
        return nullptr;
    return pkey_ptr(key);
}

// The key for a case, or the reason it cannot run.
pkey_ptr key_for(benchmark::State& state, const algorithm& a, holder h)
{
    pkey_ptr key = generate(a, h);
    if (!key) {
        state.SkipWithError(h == holder::secretmem && ctx().openssl_heap == "ordinary"
                                ? "OpenSSL's heap is ordinary memory: run under the preload"
                                : "no key could be generated");
    }
    state.SetLabel(h == holder::secretmem ? "openssl_heap=" + ctx().openssl_heap : "");
    return key;
}

void sign(benchmark::State& state, const algorithm& a, holder h)
{
    const pkey_ptr key = key_for(state, a, h);
    if (!key)
        return;
    std::array<unsigned char, 32> message{};
    std::array<unsigned char, 512> sig{};
    // The loop variable is Google Benchmark's timing token, never read.
    // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores)
    for (auto _ : state) {
        const md_ctx_ptr md(EVP_MD_CTX_new());
        std::size_t length = sig.size();
        if (EVP_DigestSignInit_ex(md.get(), nullptr,
                                  a.digest != nullptr ? EVP_MD_get0_name(a.digest()) : nullptr,
                                  ctx().of(h), nullptr, key.get(), nullptr) != 1 ||
            EVP_DigestSign(md.get(), sig.data(), &length, message.data(), message.size()) != 1) {
            state.SkipWithError("signing failed");
            break;
        }
        benchmark::DoNotOptimize(sig.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void tls13(benchmark::State& state, const algorithm& a, holder h)
{
    const pkey_ptr key = key_for(state, a, h);
    if (!key)
        return;
    const x509_ptr cert = secretmem::openssl::self_signed(key.get(), ctx().of(h));
    const ssl_ctx_ptr server_ctx(SSL_CTX_new_ex(ctx().of(h), nullptr, TLS_server_method()));
    // The client is another party, with the default provider alone.
    const ssl_ctx_ptr client_ctx(SSL_CTX_new_ex(ctx().plain.get(), nullptr, TLS_client_method()));
    if (!cert || !server_ctx || !client_ctx ||
        SSL_CTX_use_certificate(server_ctx.get(), cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(server_ctx.get(), key.get()) != 1) {
        state.SkipWithError("no TLS context");
        return;
    }
    for (SSL_CTX* c : {server_ctx.get(), client_ctx.get()}) {
        SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(c, 0);
    }
    // The loop variable is Google Benchmark's timing token, never read.
    // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores)
    for (auto _ : state) {
        tls_pair pair(server_ctx.get(), client_ctx.get());
        if (!pair.handshake()) {
            state.SkipWithError("handshake failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void register_all(bool smoke)
{
    for (const algorithm& a : algorithms) {
        for (const holder h : {holder::default_provider, holder::secretmem}) {
            const std::string who = h == holder::secretmem ? "secretmem" : "default";
            auto* s = bench_cli::register_case("sign/" + std::string(a.name) + "/" + who,
                                               [a, h](benchmark::State& st) { sign(st, a, h); });
            auto* t = bench_cli::register_case("tls13/" + std::string(a.name) + "/" + who,
                                               [a, h](benchmark::State& st) { tls13(st, a, h); });
            for (auto* b : {s, t}) {
                b->Unit(benchmark::kMicrosecond);
                if (smoke) {
                    b->Iterations(1);
                } else {
                    b->MinTime(0.3);
                }
            }
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    const std::optional<bool> smoke = bench_cli::smoke_flag(argc, argv);
    if (!smoke)
        return 2;
    benchmark::AddCustomContext("openssl_heap", ctx().openssl_heap);
    benchmark::AddCustomContext("openssl_version", OpenSSL_version(OPENSSL_VERSION));
    register_all(*smoke);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
