// SPDX-License-Identifier: MIT
// A region's shape: guard pages that fault, no access outside windows, the
// backend it came from, move semantics.
#include "../support/privileges.hpp"
#include "../support/proc.hpp"
#include "backend_param.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>

namespace secretmem::test {
namespace {

class Region : public EachBackend {};
SECRETMEM_FOR_EACH_BACKEND(Region);

void touch(const volatile std::byte* p)
{
    (void)*p;
}

TEST_P(Region, ReportsItsBackendAndDegradation)
{
    const region r = allocate(100);
    EXPECT_EQ(r.backend(), GetParam());
    EXPECT_EQ(r.degraded(), GetParam() == backend_kind::locked);
    EXPECT_EQ(r.size(), 100U);
}

// The memory-lock limit fails the allocation (EAGAIN), never a later
// access: memfd_secret charges pages as they are faulted in, and a fault
// over the limit would be a SIGBUS in the caller's hands.
TEST_P(Region, FailsAtAllocationNotLaterOverTheMemlockLimit)
{
    const bool locked = GetParam() == backend_kind::locked;
    EXPECT_EXIT(
        {
            limit_memlock(1024UL * 1024);
            try {
                region r = allocate(std::size_t{4} * 1024 * 1024);
                auto w = r.write();
                std::memset(w.data(), 0x5a, w.size());
                std::fputs("allocated and written: this backend is not charged\n", stderr);
                std::exit(0);
            } catch (const error& e) {
                std::fprintf(stderr, "%s\n", e.what());
                // mlock(2) says ENOMEM over the limit; the others EAGAIN.
                const bool over_limit = e.code() == std::errc::resource_unavailable_try_again ||
                                        (locked && e.code() == std::errc::not_enough_memory);
                std::exit(over_limit ? 0 : 1);
            }
        },
        testing::ExitedWithCode(0), "");
}

TEST_P(Region, KeepsWhatIsWritten)
{
    region r = allocate(5000);
    {
        auto w = r.write();
        ASSERT_EQ(w.size(), 5000U);
        std::memset(w.data(), 0x5a, w.size());
    }
    const auto v = r.read();
    for (const std::byte b : v.bytes())
        ASSERT_EQ(b, std::byte{0x5a});
}

TEST_P(Region, IsInaccessibleOutsideWindows)
{
    region r = allocate(64);
    const std::byte* data = nullptr;
    {
        const auto v = r.read();
        data = v.data();
    }
    EXPECT_EQ(r.current_access(), access::none);
    EXPECT_EQ(mapping_perms(data).value_or("unmapped").substr(0, 3), "---");
    EXPECT_EXIT(touch(r.read().data() + 8); std::exit(0), testing::ExitedWithCode(0), "")
        << "control: a read inside a window must work";
    EXPECT_EXIT(
        {
            const std::byte* p = nullptr;
            {
                p = r.read().data();
            }
            touch(p);
        },
        testing::KilledBySignal(SIGSEGV), "");
}

TEST_P(Region, HasGuardPagesOnBothSides)
{
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    region r = allocate(page);
    EXPECT_EXIT(
        {
            const auto w = r.write();
            touch(w.data() + page); // one past the last data page
        },
        testing::KilledBySignal(SIGSEGV), "");
    EXPECT_EXIT(
        {
            const auto w = r.write();
            touch(w.data() - 1);
        },
        testing::KilledBySignal(SIGSEGV), "");
    const auto w = r.write();
    EXPECT_EQ(mapping_perms(w.data() - 1).value_or("unmapped").substr(0, 3), "---");
    EXPECT_EQ(mapping_perms(w.data() + page).value_or("unmapped").substr(0, 3), "---");
}

TEST_P(Region, MovesWithoutCopying)
{
    region a = allocate(32);
    const std::byte* data = a.read().data();
    region b = std::move(a);
    EXPECT_FALSE(a); // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_TRUE(b);
    EXPECT_EQ(b.read().data(), data);
    try {
        // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
        (void)a.backend();
        FAIL() << "a moved-from region must refuse use";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::empty_region);
    }
}

TEST_P(Region, DestroyingWithAnOpenWindowAborts)
{
    EXPECT_DEATH(
        {
            auto r = std::make_unique<region>(allocate(32));
            auto w = r->write();
            r.reset();
        },
        "access windows are open");
}

TEST(RegionSize, ZeroIsRefused)
{
    try {
        (void)region::allocate(0);
        FAIL() << "size 0 must be refused";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), std::errc::invalid_argument);
    }
}

} // namespace
} // namespace secretmem::test
