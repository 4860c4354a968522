// SPDX-License-Identifier: MIT
// The wrapper reaches the real system call: its pages are out of reach of
// /proc/self/mem, and it validates flags as the kernel does.
#include "../support/proc.hpp"

#include <secretmem/mman.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace {

class MemfdSecret : public testing::Test {
protected:
    void SetUp() override
    {
        fd_ = memfd_secret(O_CLOEXEC);
        if (fd_ < 0)
            GTEST_SKIP() << "memfd_secret: " << std::strerror(errno);
    }
    void TearDown() override
    {
        if (fd_ >= 0)
            close(fd_);
    }
    int fd_ = -1;
};

TEST_F(MemfdSecret, IsCloseOnExec)
{
    EXPECT_EQ(fcntl(fd_, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST_F(MemfdSecret, RejectsFlagsOtherThanCloexec)
{
    errno = 0;
    EXPECT_EQ(memfd_secret(O_NONBLOCK), -1);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(MemfdSecret, PagesAreHiddenFromProcMem)
{
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    ASSERT_EQ(ftruncate(fd_, static_cast<off_t>(page)), 0);
    auto* p = static_cast<char*>(mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
    ASSERT_NE(p, MAP_FAILED);
    std::memcpy(p, "secret", sizeof("secret"));
    char out[8] = {};
    EXPECT_EQ(secretmem::test::read_proc_mem(0, p, out, sizeof(out)), EIO);

    // Control: the same read of ordinary memory works, so EIO above is the
    // kernel refusing, not a broken reader.
    char plain[8] = "plain";
    EXPECT_EQ(secretmem::test::read_proc_mem(0, plain, out, sizeof(out)), 0);
    EXPECT_STREQ(out, "plain");
    munmap(p, page);
}

TEST(MapSecretConstants, MatchTheKernelSeries)
{
    EXPECT_EQ(MAP_SECRET, 0x400000);
    EXPECT_EQ(PROT_SECRET, 0x40);
    // Clashes with what glibc already knows would make the flags ambiguous.
    EXPECT_EQ(MAP_SECRET &
                  (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN |
                   MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
                   MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE),
              0);
    EXPECT_EQ(PROT_SECRET & (PROT_READ | PROT_WRITE | PROT_EXEC | 0x8 /* PROT_SEM */ |
                             PROT_GROWSDOWN | PROT_GROWSUP),
              0);
}

} // namespace
