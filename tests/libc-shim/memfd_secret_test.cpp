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

} // namespace
