// SPDX-License-Identifier: MIT
// Access windows: they nest, they count, they are thread-safe, and the last
// one to close puts the region back where protect() left it.  Protection is
// read from /proc/self/maps, which is what the MMU enforces.
#include "../support/proc.hpp"
#include "backend_param.hpp"

#include <atomic>
#include <thread>
#include <vector>

namespace secretmem::test {
namespace {

class Windows : public EachBackend {
protected:
    // The protection the kernel has for the region's pages.
    std::string perms(const region& r) const
    {
        const std::byte* p = nullptr;
        {
            p = r.read().data();
        }
        return perms_at(p);
    }
    static std::string perms_at(const std::byte* p)
    {
        return mapping_perms(p).value_or("unmapped").substr(0, 3);
    }
};
SECRETMEM_FOR_EACH_BACKEND(Windows);

TEST_P(Windows, NestAndRestore)
{
    region r = allocate(100);
    EXPECT_EQ(perms(r), "---");
    {
        const auto outer = r.read();
        EXPECT_EQ(perms_at(outer.data()), "r--");
        {
            const auto inner = r.write();
            EXPECT_EQ(perms_at(outer.data()), "rw-");
            EXPECT_EQ(r.current_access(), access::read_write);
        }
        EXPECT_EQ(perms_at(outer.data()), "r--");
        EXPECT_EQ(r.current_access(), access::read);
    }
    EXPECT_EQ(perms(r), "---");
    EXPECT_EQ(r.current_access(), access::none);
}

TEST_P(Windows, RestoreTheProtectLevel)
{
    region r = allocate(100);
    r.protect(access::read);
    EXPECT_EQ(perms(r), "r--");
    {
        const auto w = r.write();
        EXPECT_EQ(perms_at(w.data()), "rw-");
    }
    EXPECT_EQ(perms(r), "r--");
    r.protect(access::none);
    EXPECT_EQ(perms(r), "---");
}

TEST_P(Windows, MovedWindowClosesOnce)
{
    region r = allocate(100);
    {
        auto a = r.write();
        auto b = std::move(a);
        EXPECT_EQ(r.current_access(), access::read_write);
    }
    EXPECT_EQ(r.current_access(), access::none);
}

// Readers and writers on several threads: inside its window each thread
// really touches the memory (a window closed too early by another thread
// would kill the process with SIGSEGV), and at the end the region is
// inaccessible again.
TEST_P(Windows, CountAcrossThreads)
{
    region r = allocate(4096);
    constexpr int threads = 4;
    constexpr int rounds = 2000;
    std::atomic<long> sum{0};
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&r, &sum, t] {
            for (int i = 0; i < rounds; ++i) {
                if ((i + t) % 3 == 0) {
                    const auto w = r.write();
                    w.data()[t] = std::byte{1};
                } else {
                    const auto v = r.read();
                    sum += std::to_integer<long>(v.data()[t]);
                }
            }
        });
    }
    for (auto& th : pool)
        th.join();
    EXPECT_EQ(r.current_access(), access::none);
    EXPECT_EQ(perms(r), "---");
    EXPECT_GT(sum.load(), 0);
}

} // namespace
} // namespace secretmem::test
