// SPDX-License-Identifier: MIT
// MAP_SECRET must fail closed: a kernel without the series refuses it rather
// than hand out ordinary memory, and a kernel with it gives secret memory for
// either spelling of the request.
#include "../support/proc.hpp"

#include <secretmem/mman.h>
#include <secretmem/probe.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <unistd.h>

namespace {

std::size_t page_size()
{
    return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

bool kernel_has_the_series()
{
    secretmem_probe_result r{};
    EXPECT_EQ(secretmem_probe(&r), 0);
    return r.native.status == SECRETMEM_AVAILABLE;
}

// errno of an mmap() that must fail, or 0 (and the mapping undone) if it
// did not.
int map_error(int flags)
{
    errno = 0;
    void* p = mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p != MAP_FAILED) {
        munmap(p, page_size());
        return 0;
    }
    return errno;
}

TEST(MapSecret, IsAMappingTypeNoKernelBeforeTheSeriesAccepts)
{
    // Like MAP_DROPPABLE, a value of the MAP_TYPE field: every kernel's
    // mmap() rejects a type it does not know, where it ignores an unknown
    // flag bit under MAP_PRIVATE.
    EXPECT_EQ(MAP_SECRET, 0x0a);
    EXPECT_EQ(MAP_SECRET & ~MAP_TYPE, 0);
    EXPECT_NE(MAP_SECRET, MAP_SHARED);
    EXPECT_NE(MAP_SECRET, MAP_PRIVATE);
    EXPECT_NE(MAP_SECRET, MAP_SHARED_VALIDATE);
    EXPECT_NE(MAP_SECRET, 0x08 /* MAP_DROPPABLE */);
    // The private bit is part of it, so the spelling that reads naturally,
    // MAP_PRIVATE | MAP_SECRET, is the same request; the shared bit is not,
    // so MAP_SHARED | MAP_SECRET is an unknown type and refused.
    EXPECT_EQ(MAP_PRIVATE | MAP_SECRET, MAP_SECRET);
    EXPECT_EQ(MAP_SECRET & MAP_SHARED, 0);
    EXPECT_EQ(PROT_SECRET, 0x40);
    EXPECT_EQ(PROT_SECRET & (PROT_READ | PROT_WRITE | PROT_EXEC | 0x8 /* PROT_SEM */ |
                             PROT_GROWSDOWN | PROT_GROWSUP),
              0);
}

TEST(MapSecret, AKernelWithoutTheSeriesRefusesIt)
{
    if (kernel_has_the_series())
        GTEST_SKIP() << "this kernel has the MAP_SECRET series";
    EXPECT_EQ(map_error(MAP_SECRET | MAP_ANONYMOUS), EINVAL);
    EXPECT_EQ(map_error(MAP_PRIVATE | MAP_SECRET | MAP_ANONYMOUS), EINVAL);
    EXPECT_EQ(map_error(MAP_SECRET | MAP_ANONYMOUS | MAP_POPULATE), EINVAL);
}

// Control: why it has to be a type. The same kernel maps a private
// anonymous request carrying a flag bit it does not know.
TEST(MapSecret, AnUnknownFlagBitIsIgnoredWhereATypeIsRefused)
{
    if (kernel_has_the_series())
        GTEST_SKIP() << "this kernel has the MAP_SECRET series";
    EXPECT_EQ(map_error(MAP_PRIVATE | MAP_ANONYMOUS | 0x400000), 0);
}

TEST(MapSecret, BothSpellingsGiveSecretMemory)
{
    if (!kernel_has_the_series()) {
        if (std::getenv("SECRETMEM_REQUIRE_NATIVE"))
            FAIL() << "SECRETMEM_REQUIRE_NATIVE is set, but the kernel lacks MAP_SECRET";
        GTEST_SKIP() << "this kernel lacks the MAP_SECRET series";
    }
    for (int flags : {MAP_SECRET | MAP_ANONYMOUS, MAP_PRIVATE | MAP_SECRET | MAP_ANONYMOUS}) {
        auto* p =
            static_cast<char*>(mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, flags, -1, 0));
        ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
        std::memcpy(p, "secret", sizeof("secret"));
        char out[8] = {};
        EXPECT_EQ(secretmem::test::read_proc_mem(0, p, out, sizeof(out)), EIO);
        munmap(p, page_size());
    }
    // MAP_SHARED | MAP_SECRET is no type at all.
    EXPECT_EQ(map_error(MAP_SHARED | MAP_SECRET | MAP_ANONYMOUS), EINVAL);
}

} // namespace
