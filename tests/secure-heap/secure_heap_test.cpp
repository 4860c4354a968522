// SPDX-License-Identifier: MIT
// OpenSSL's secure heap, redirected by the preload shim (run with
// LD_PRELOAD=libsecretmem-preload.so): what libcrypto allocates "securely"
// for its own keys lands in the secret heap, which grows past any arena
// size and fails rather than fall back to the ordinary heap.
#include <secretmem/alloc.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace secretmem::test {
namespace {

// Where the dynamic linker found `symbol` for this process.
std::string provider_of(const char* symbol)
{
    void* address = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info{};
    if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr)
        return "(unresolved)";
    return info.dli_fname;
}

class SecureHeap : public testing::Test {
protected:
    void SetUp() override
    {
        const std::string owner = provider_of("CRYPTO_secure_malloc");
        ASSERT_NE(owner.find("libsecretmem-preload"), std::string::npos)
            << "CRYPTO_secure_malloc comes from " << owner
            << ": run this test with LD_PRELOAD=libsecretmem-preload.so";
        void* probe = secretmem_malloc(1);
        if (probe == nullptr)
            GTEST_SKIP() << "no secret heap here: " << secretmem_heap_error();
        secretmem_free(probe);
    }
};

TEST_F(SecureHeap, IsAlwaysInitializedAndGrowsPastItsArena)
{
    EXPECT_EQ(CRYPTO_secure_malloc_initialized(), 1);
    // OpenSSL's own heap would now be a 4 KiB arena; this one grows.
    ASSERT_EQ(CRYPTO_secure_malloc_init(4096, 16), 1);
    std::vector<void*> blocks;
    for (int i = 0; i < 64; ++i) {
        void* p = OPENSSL_secure_malloc(16384);
        ASSERT_NE(p, nullptr) << "block " << i;
        EXPECT_EQ(CRYPTO_secure_allocated(p), 1);
        EXPECT_EQ(secretmem_owns(p), 1);
        EXPECT_GE(CRYPTO_secure_actual_size(p), 16384U);
        blocks.push_back(p);
    }
    EXPECT_GE(CRYPTO_secure_used(), 64U * 16384);
    EXPECT_EQ(CRYPTO_secure_malloc_done(), 0) << "done() with blocks still allocated";
    for (void* p : blocks)
        OPENSSL_secure_clear_free(p, 16384);
    EXPECT_EQ(CRYPTO_secure_malloc_done(), 1);
}

TEST_F(SecureHeap, ZallocZeroesAndFreeWipes)
{
    auto* p = static_cast<unsigned char*>(OPENSSL_secure_zalloc(256));
    ASSERT_NE(p, nullptr);
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(p[i], 0);
    std::memset(p, 0x5a, 256);
    OPENSSL_secure_free(p);
    const auto* after = static_cast<const volatile unsigned char*>(p);
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(after[i], 0) << "byte " << i << " survived OPENSSL_secure_free";
}

// OpenSSL copies keys through its ordinary heap too (decoders, encoders):
// the shim hands that heap to the secret heap as well, wiped on free.
TEST_F(SecureHeap, OpenSSLsOrdinaryHeapIsSecretToo)
{
    auto* p = static_cast<unsigned char*>(OPENSSL_malloc(100));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(secretmem_owns(p), 1) << "OPENSSL_malloc did not reach the secret heap";
    std::memset(p, 0x5a, 100);
    OPENSSL_free(p);
    const auto* after = static_cast<const volatile unsigned char*>(p);
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(after[i], 0) << "byte " << i << " survived OPENSSL_free";
    auto* q = static_cast<unsigned char*>(OPENSSL_realloc(OPENSSL_malloc(16), 1 << 20));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(secretmem_owns(q), 1);
    OPENSSL_free(q);
}

TEST_F(SecureHeap, ForeignPointersGoToTheirOwnHeap)
{
    // NOLINTBEGIN(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory,clang-analyzer-unix.Malloc)
    void* ordinary = std::malloc(100);
    ASSERT_NE(ordinary, nullptr);
    EXPECT_EQ(secretmem_owns(ordinary), 0) << "explicit mode: malloc() stays glibc's";
    EXPECT_EQ(CRYPTO_secure_allocated(ordinary), 0);
    // OpenSSL's rule: a pointer the secure heap does not own goes to free().
    OPENSSL_secure_clear_free(ordinary, 100);
    // NOLINTEND(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory,clang-analyzer-unix.Malloc)
}

// libcrypto's own private-key storage reaches the shim through its PLT:
// generating keys raises the secure heap's use, and the keys' bytes live
// in blocks the secret heap owns.
TEST_F(SecureHeap, LibcryptoKeepsPrivateKeysInIt)
{
    struct key_type {
        const char* name;
        const char* parameter;
    };
    for (const key_type& type : {key_type{"EC", "P-256"}, key_type{"X25519", nullptr},
                                 key_type{"ED25519", nullptr}, key_type{"RSA", nullptr}}) {
        const std::size_t before = CRYPTO_secure_used();
        EVP_PKEY* key = nullptr;
        if (type.parameter != nullptr) {
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, type.name, type.parameter);
        } else if (std::strcmp(type.name, "RSA") == 0) {
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, type.name, std::size_t{2048});
        } else {
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, type.name);
        }
        ASSERT_NE(key, nullptr) << type.name;
        EXPECT_GT(CRYPTO_secure_used(), before)
            << type.name << ": libcrypto did not use the secure heap for the key";
        EVP_PKEY_free(key);
    }
}

TEST_F(SecureHeap, ThreadsAllocateAtOnce)
{
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&failures] {
            for (int i = 0; i < 20000; ++i) {
                auto* p = static_cast<unsigned char*>(OPENSSL_secure_malloc(32));
                if (p == nullptr || CRYPTO_secure_allocated(p) != 1) {
                    ++failures;
                    continue;
                }
                p[0] = 1;
                OPENSSL_secure_free(p);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
}

} // namespace
} // namespace secretmem::test
