// SPDX-License-Identifier: MIT
// The secret heap's C API: malloc semantics, which memory it hands out,
// what it does with freed blocks, and how it behaves across threads and
// fork.  Each test asserts an effect (an unreadable page, a zeroed byte,
// an address range), not a return code alone.
#include "../support/proc.hpp"

#include <secretmem/alloc.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace secretmem::test {
namespace {

constexpr unsigned char fill = 0xa5;

secretmem_heap_stats heap_stats()
{
    secretmem_heap_stats s{};
    EXPECT_EQ(secretmem_get_heap_stats(&s), 0);
    return s;
}

// Freed memory stays mapped (the heap never unmaps), so it can be read
// back; volatile keeps the compiler from assuming anything about it.
bool all_zero(const void* p, std::size_t n)
{
    const auto* bytes = static_cast<const volatile unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
        if (bytes[i] != 0)
            return false;
    }
    return true;
}

class Heap : public testing::Test {
protected:
    void SetUp() override
    {
        void* p = secretmem_malloc(1);
        if (p == nullptr)
            GTEST_SKIP() << "no secret heap here: " << secretmem_heap_error();
        secretmem_free(p);
    }
};

TEST_F(Heap, NamesItsBackendAndIsNotDegradedByDefault)
{
    const secretmem_heap_stats s = heap_stats();
    ASSERT_NE(s.backend, nullptr);
    EXPECT_TRUE(std::string_view(s.backend) == "native" || std::string_view(s.backend) == "fd")
        << s.backend;
    EXPECT_EQ(s.degraded, 0);
    EXPECT_GE(s.mapped_bytes, 2U << 20);
    if (std::getenv("SECRETMEM_REQUIRE_NATIVE") != nullptr) {
        EXPECT_STREQ(s.backend, "native");
    }
}

TEST_F(Heap, MallocFamilySemantics)
{
    void* a = secretmem_malloc(0);
    void* b = secretmem_malloc(0);
    ASSERT_NE(a, nullptr);
    EXPECT_NE(a, b) << "malloc(0) must return unique pointers";
    secretmem_free(a);
    secretmem_free(b);
    secretmem_free(nullptr);

    errno = 0;
    EXPECT_EQ(secretmem_calloc(SIZE_MAX / 2, 3), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    auto* zeroed = static_cast<unsigned char*>(secretmem_calloc(100, 7));
    ASSERT_NE(zeroed, nullptr);
    EXPECT_TRUE(all_zero(zeroed, 700));
    EXPECT_GE(secretmem_usable_size(zeroed), 700U);
    secretmem_free(zeroed);

    for (const std::size_t alignment : {std::size_t{64}, std::size_t{4096}, std::size_t{2} << 20}) {
        void* p = secretmem_aligned_alloc(alignment, 100);
        ASSERT_NE(p, nullptr) << alignment;
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0U) << alignment;
        secretmem_free(p);
    }
    errno = 0;
    EXPECT_EQ(secretmem_aligned_alloc(48, 100), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(secretmem_usable_size(nullptr), 0U);
}

TEST_F(Heap, ReallocKeepsContentsAndZeroesWhatItLeaves)
{
    auto* p = static_cast<unsigned char*>(secretmem_malloc(24));
    ASSERT_NE(p, nullptr);
    std::memset(p, fill, 24);
    const std::size_t old_usable = secretmem_usable_size(p);

    // Far beyond any in-place growth: the block moves.
    auto* q = static_cast<unsigned char*>(secretmem_realloc(p, 1U << 20));
    ASSERT_NE(q, nullptr);
    ASSERT_NE(q, p);
    for (int i = 0; i < 24; ++i)
        ASSERT_EQ(q[i], fill);
    EXPECT_TRUE(all_zero(p, old_usable)) << "the block realloc moved away from was not wiped";
    EXPECT_EQ(secretmem_owns(q), 1);

    // Shrinking wipes the tail before jemalloc may reuse it.
    std::memset(q, fill, 1U << 20);
    auto* r = static_cast<unsigned char*>(secretmem_realloc(q, 4096));
    ASSERT_NE(r, nullptr);
    for (int i = 0; i < 4096; ++i)
        ASSERT_EQ(r[i], fill);
    EXPECT_TRUE(all_zero(q + 4096, (1U << 20) - 4096)) << "the tail given back was not wiped";

    EXPECT_EQ(secretmem_realloc(r, 0), nullptr) << "realloc(p, 0) frees p, as glibc's";
}

TEST_F(Heap, EveryFreedBlockIsZeroed)
{
    for (const std::size_t size : {std::size_t{16}, std::size_t{32}, std::size_t{512},
                                   std::size_t{8192}, std::size_t{3} << 20}) {
        auto* p = static_cast<unsigned char*>(secretmem_malloc(size));
        ASSERT_NE(p, nullptr);
        const std::size_t usable = secretmem_usable_size(p);
        std::memset(p, fill, usable);
        secretmem_free(p);
        EXPECT_TRUE(all_zero(p, usable)) << size << "-byte block kept its contents after free";
    }
}

TEST_F(Heap, OwnershipIsExact)
{
    auto* p = static_cast<unsigned char*>(secretmem_malloc(100));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(secretmem_owns(p), 1);
    EXPECT_EQ(secretmem_owns(p + 99), 1);
    int on_stack = 0;
    static int in_data = 0;
    const auto from_glibc = std::make_unique<int[]>(100);
    EXPECT_EQ(secretmem_owns(&on_stack), 0);
    EXPECT_EQ(secretmem_owns(&in_data), 0);
    EXPECT_EQ(secretmem_owns(from_glibc.get()), 0);
    EXPECT_EQ(secretmem_owns(nullptr), 0);
    secretmem_free(p);
}

TEST_F(Heap, OtherProcessesCannotReadABlock)
{
    auto* p = static_cast<unsigned char*>(secretmem_malloc(64));
    ASSERT_NE(p, nullptr);
    std::memset(p, fill, 64);
    std::array<unsigned char, 64> out{};
    EXPECT_NE(read_proc_mem(0, p, out.data(), out.size()), 0)
        << "/proc/self/mem read a secret block";
    // Control: the same reader works on ordinary memory.
    std::vector<unsigned char> plain(64, fill);
    EXPECT_EQ(read_proc_mem(0, plain.data(), out.data(), out.size()), 0);
    secretmem_free(p);
}

// 100,000 live 32-byte secrets: jemalloc's 32-byte slabs hold 128 of them
// per 4 KiB page, and the heap maps 2 MiB at a time.  Geometric retained
// growth, or metadata kept in the secret extents, would map far more.
TEST_F(Heap, SmallSecretsArePackedTightly)
{
    constexpr std::size_t count = 100000;
    const std::uint64_t before = heap_stats().mapped_bytes;
    std::vector<void*> blocks(count);
    for (auto& b : blocks) {
        b = secretmem_malloc(32);
        ASSERT_NE(b, nullptr) << secretmem_heap_error();
    }
    const secretmem_heap_stats s = heap_stats();
    const std::uint64_t slabs = (count * 32 + 4095) / 4096 * 4096;
    EXPECT_LE(s.mapped_bytes - before, slabs + (4U << 20))
        << "mapped " << (s.mapped_bytes - before) << " bytes for " << count * 32;
    EXPECT_GE(s.allocated_bytes, count * 32);
    EXPECT_GT(s.metadata_bytes, 0U);
    for (void* b : blocks)
        secretmem_free(b);
}

TEST_F(Heap, ThreadExitReturnsItsCache)
{
    const std::uint64_t before = heap_stats().allocated_bytes;
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([] {
            std::vector<void*> blocks;
            blocks.reserve(2000);
            for (int i = 0; i < 2000; ++i)
                blocks.push_back(secretmem_malloc(16 + static_cast<std::size_t>(i % 64) * 16));
            for (void* b : blocks)
                secretmem_free(b);
        });
    }
    for (auto& t : threads)
        t.join();
    // Blocks parked in an exited thread's cache would still count as allocated.
    EXPECT_LE(heap_stats().allocated_bytes, before + 4096);
}

TEST_F(Heap, BlocksMoveBetweenThreads)
{
    constexpr int per_thread = 20000;
    std::vector<std::vector<unsigned char*>> handed(4);
    std::vector<std::thread> makers;
    for (std::size_t t = 0; t < handed.size(); ++t) {
        makers.emplace_back([&handed, t] {
            for (int i = 0; i < per_thread; ++i) {
                const std::size_t size = 1 + static_cast<std::size_t>(i * 37 % 3000);
                auto* p = static_cast<unsigned char*>(secretmem_malloc(size));
                if (p == nullptr)
                    return;
                std::memset(p, static_cast<int>(t + 1), size);
                handed[t].push_back(p);
            }
        });
    }
    for (auto& m : makers)
        m.join();
    // Each thread frees what another made, after checking it.
    std::vector<std::thread> freers;
    std::atomic<int> bad{0};
    for (std::size_t t = 0; t < handed.size(); ++t) {
        freers.emplace_back([&handed, &bad, t] {
            const std::size_t from = (t + 1) % handed.size();
            for (unsigned char* p : handed[from]) {
                if (secretmem_owns(p) != 1 || p[0] != from + 1)
                    ++bad;
                secretmem_free(p);
            }
        });
    }
    for (auto& f : freers)
        f.join();
    EXPECT_EQ(bad.load(), 0);
    for (const auto& h : handed)
        EXPECT_EQ(h.size(), static_cast<std::size_t>(per_thread));
}

// In a child the heap is a copy by default and reads as zeros when the
// copy is turned off; either way the child can allocate and free.
int child_sees(const unsigned char* secret)
{
    const pid_t pid = fork();
    if (pid == 0) {
        void* p = secretmem_malloc(100);
        if (p == nullptr)
            _exit(3);
        std::memset(p, 1, 100);
        secretmem_free(p);
        _exit(secret[0] == fill ? 1 : secret[0] == 0 ? 0 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST_F(Heap, ForkWipesOrCopies)
{
    auto* secret = static_cast<unsigned char*>(secretmem_malloc(64));
    ASSERT_NE(secret, nullptr);
    std::memset(secret, fill, 64);
    EXPECT_EQ(child_sees(secret), 1) << "by default the child must see the contents";
    secretmem_heap_copy_on_fork(0);
    EXPECT_EQ(child_sees(secret), 0) << "without the copy the child must see zeros, and be able "
                                        "to allocate";
    secretmem_heap_copy_on_fork(1);
    EXPECT_EQ(secret[0], fill) << "the parent's copy changed";
    secretmem_free(secret);
}

// fork() while other threads allocate and free (a server's threads signing
// while its master forks a worker): jemalloc's and the heap's locks are
// held across the copy, so each child sees the parent's block whole and can
// allocate, free and use blocks of its own.
TEST_F(Heap, ForkWhileOtherThreadsAllocate)
{
    // A lock-order bug deadlocks here: fail, rather than hang to the timeout.
    struct deadline {
        deadline() { alarm(120); }
        deadline(const deadline&) = delete;
        deadline& operator=(const deadline&) = delete;
        deadline(deadline&&) = delete;
        deadline& operator=(deadline&&) = delete;
        ~deadline() { alarm(0); }
    } bounded;
    auto* secret = static_cast<unsigned char*>(secretmem_malloc(4096));
    ASSERT_NE(secret, nullptr);
    std::memset(secret, fill, 4096);
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    workers.reserve(2);
    for (int t = 0; t < 2; ++t) {
        workers.emplace_back([&stop, t] {
            std::vector<void*> held;
            for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
                void* p = secretmem_malloc(16 + (i * 37 + t) % 2000);
                if (p != nullptr)
                    held.push_back(p);
                if (held.size() > 64) {
                    for (void* q : held)
                        secretmem_free(q);
                    held.clear();
                }
            }
            for (void* q : held)
                secretmem_free(q);
        });
    }
    int bad = 0;
    std::string last;
    for (int i = 0; i < 8; ++i) {
        const pid_t pid = fork();
        if (pid == 0) {
            for (int b = 0; b < 4096; ++b) {
                if (secret[b] != fill)
                    _exit(1);
            }
            std::vector<void*> mine;
            for (int n = 0; n < 1000; ++n) {
                void* p = secretmem_malloc(64);
                if (p == nullptr)
                    _exit(2);
                std::memset(p, n & 0xff, 64);
                mine.push_back(p);
            }
            for (void* p : mine)
                secretmem_free(p);
            _exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
            ++bad;
            last = "child " + std::to_string(i) + " ended with status " + std::to_string(status);
        }
    }
    stop = true;
    for (auto& w : workers)
        w.join();
    EXPECT_EQ(bad, 0) << last;
    secretmem_free(secret);
}

TEST_F(Heap, ForeignPointerIsRefusedLoudly)
{
    int not_secret = 0;
    EXPECT_DEATH(secretmem_free(&not_secret), "not a block of the secret heap");
}

// The heap starts once per process, so this runs in a fresh one (death
// tests re-execute the binary): a bad policy setting stops it with a
// message that names the variable.
TEST(HeapStart, FailureSaysWhyAndWhatToDo)
{
    EXPECT_EXIT(
        {
            setenv("SECRETMEM_ALLOW_DEGRADED", "perhaps", 1);
            errno = 0;
            void* p = secretmem_malloc(1);
            const int error = errno;
            std::fprintf(stderr, "%s\n", secretmem_heap_error());
            std::exit(p == nullptr && error == ENOMEM ? 7 : 0);
        },
        testing::ExitedWithCode(7), "SECRETMEM_ALLOW_DEGRADED is 'perhaps'");
}

} // namespace
} // namespace secretmem::test
