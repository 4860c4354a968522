// SPDX-License-Identifier: MIT
// The preload shim's malloc family, run under LD_PRELOAD in both modes
// (meson runs this binary once with SECRETMEM_PRELOAD=explicit and once
// with =all): where new blocks go, and that free, realloc and
// malloc_usable_size accept a block from either heap.
#include <secretmem/alloc.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <malloc.h>
#include <memory>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

// glibc's allocator under its own names, to make blocks the shim did not.
extern "C" {
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
void* __libc_malloc(std::size_t size);
}

namespace secretmem::test {
namespace {

// The C allocation functions are the subject here, and a failed ASSERT
// leaking a block is no concern:
// NOLINTBEGIN(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory,clang-analyzer-unix.Malloc)

bool all_mode()
{
    const char* mode = std::getenv("SECRETMEM_PRELOAD");
    return mode != nullptr && std::string_view(mode) == "all";
}

class Routing : public testing::Test {
protected:
    void SetUp() override
    {
        Dl_info info{};
        void* symbol = dlsym(RTLD_DEFAULT, "malloc");
        ASSERT_TRUE(symbol != nullptr && dladdr(symbol, &info) != 0 &&
                    std::string(info.dli_fname).find("libsecretmem-preload") != std::string::npos)
            << "run with LD_PRELOAD=libsecretmem-preload.so";
        if (all_mode() && secretmem_heap_error() != nullptr)
            GTEST_SKIP() << secretmem_heap_error();
    }
};

TEST_F(Routing, NewBlocksGoWhereTheModeSays)
{
    const int expected = all_mode() ? 1 : 0;
    void* blocks[] = {std::malloc(24),
                      std::calloc(3, 40),
                      std::realloc(nullptr, 100),
                      aligned_alloc(64, 128),
                      memalign(256, 300),
                      valloc(10),
                      pvalloc(10)};
    for (void* p : blocks) {
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(secretmem_owns(p), expected) << p;
    }
    void* aligned = nullptr;
    ASSERT_EQ(posix_memalign(&aligned, 4096, 50), 0);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % 4096, 0U);
    EXPECT_EQ(secretmem_owns(aligned), expected);
    std::free(aligned);
    for (void* p : blocks)
        std::free(p);
    // C++ allocations take the same path.
    const auto object = std::make_unique<std::string>(200, 'k');
    EXPECT_EQ(secretmem_owns(object->data()), expected);
}

TEST_F(Routing, EitherHeapsBlocksAreAcceptedEverywhere)
{
    auto* secret = static_cast<char*>(secretmem_malloc(40));
    auto* ordinary = static_cast<char*>(__libc_malloc(40));
    ASSERT_NE(secret, nullptr);
    ASSERT_NE(ordinary, nullptr);
    std::memcpy(secret, "secret block", sizeof "secret block");
    std::memcpy(ordinary, "ordinary block", sizeof "ordinary block");
    EXPECT_GE(malloc_usable_size(secret), 40U);
    EXPECT_GE(malloc_usable_size(ordinary), 40U);

    // A secret block stays secret when it grows, in either mode.
    secret = static_cast<char*>(std::realloc(secret, 100000));
    ASSERT_NE(secret, nullptr);
    EXPECT_STREQ(secret, "secret block");
    EXPECT_EQ(secretmem_owns(secret), 1);

    ordinary = static_cast<char*>(std::realloc(ordinary, 100000));
    ASSERT_NE(ordinary, nullptr);
    EXPECT_STREQ(ordinary, "ordinary block");
    EXPECT_EQ(secretmem_owns(ordinary), all_mode() ? 1 : 0)
        << "mode all moves a glibc block into the secret heap when it grows";
    std::free(secret);
    std::free(ordinary);
}

TEST_F(Routing, BadArgumentsAnswerAsGlibcDoes)
{
    void* out = nullptr;
    EXPECT_EQ(posix_memalign(&out, 3, 16), EINVAL);
    EXPECT_EQ(posix_memalign(&out, 4, 16), EINVAL) << "not a multiple of sizeof(void*)";
    // volatile: the compiler must not see (and reject) the overflow.
    volatile std::size_t huge = SIZE_MAX / 2;
    errno = 0;
    EXPECT_EQ(reallocarray(nullptr, huge, 4), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(std::calloc(huge, 4), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(malloc_usable_size(nullptr), 0U);
    std::free(nullptr);
}

// A child of fork() without exec keeps its heap in mode all (a shell's
// subshell runs on the parent's data); in mode explicit the program's
// ordinary data is glibc's and crosses fork as usual.
TEST_F(Routing, ForkedChildRunsOnItsData)
{
    std::vector<std::string> data(1000, std::string(64, 'd'));
    const pid_t pid = fork();
    if (pid == 0) {
        std::size_t sum = 0;
        for (const auto& s : data)
            sum += static_cast<std::size_t>(std::count(s.begin(), s.end(), 'd'));
        data.emplace_back(100, 'e');
        _exit(sum == 64000 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// A symbol of a library opened with dlopen(), as a function pointer.
template <typename F>
F symbol(void* library, const char* name)
{
    F f = nullptr;
    void* address = dlsym(library, name);
    std::memcpy(&f, &address, sizeof address);
    return f;
}

// libcrypto arriving long after the shim started, as Python's _ssl or
// Ruby's openssl bring it: dlopen()ed with RTLD_LOCAL, after the process
// has run (this test program does not link it).  Its own calls to
// CRYPTO_malloc go through its PLT to the shim, in both modes: a string
// it duplicates is in the secret heap.
TEST_F(Routing, LibcryptoOpenedLaterAllocatesInTheSecretHeap)
{
    ASSERT_EQ(dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto"), nullptr)
        << "this test program must not link libcrypto";
    void* libcrypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(libcrypto, nullptr) << dlerror();
    using strdup_fn = char* (*)(const char*, const char*, int);
    using free_fn = void (*)(void*, const char*, int);
    const auto crypto_strdup = symbol<strdup_fn>(libcrypto, "CRYPTO_strdup");
    const auto crypto_free = symbol<free_fn>(libcrypto, "CRYPTO_free");
    ASSERT_NE(crypto_strdup, nullptr);
    ASSERT_NE(crypto_free, nullptr);
    char* copy = crypto_strdup("a key libcrypto copies", __FILE__, __LINE__);
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(secretmem_owns(copy), 1) << "libcrypto's ordinary heap is not the secret heap";
    EXPECT_STREQ(copy, "a key libcrypto copies");
    crypto_free(copy, __FILE__, __LINE__);
}

// NOLINTEND(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory,clang-analyzer-unix.Malloc)

} // namespace
} // namespace secretmem::test
