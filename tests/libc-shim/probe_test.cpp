// SPDX-License-Identifier: MIT
// The probe must agree with the kernel, feature by feature.
#include "../support/privileges.hpp"
#include "../support/sanitizer.hpp"

#include <secretmem/mman.h>
#include <secretmem/probe.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace {

secretmem_probe_result probe()
{
    secretmem_probe_result r{};
    EXPECT_EQ(secretmem_probe(&r), 0);
    return r;
}

TEST(Probe, RejectsNull)
{
    errno = 0;
    EXPECT_EQ(secretmem_probe(nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
}

TEST(Probe, NativeAgreesWithMprotect)
{
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    const bool kernel_has_it = mprotect(p, page, PROT_READ | PROT_WRITE | PROT_SECRET) == 0;
    const int error = errno;
    munmap(p, page);

    const secretmem_probe_result r = probe();
    if (kernel_has_it) {
        EXPECT_EQ(r.native.status, SECRETMEM_AVAILABLE);
    } else {
        EXPECT_EQ(error, EINVAL);
        EXPECT_EQ(r.native.status, SECRETMEM_ABSENT);
        EXPECT_EQ(r.native.error, EINVAL);
    }
}

TEST(Probe, MemfdSecretAgreesWithTheSyscall)
{
    const int fd = memfd_secret(O_CLOEXEC);
    const int error = errno;
    const secretmem_probe_result r = probe();
    if (fd >= 0) {
        close(fd);
        EXPECT_EQ(r.memfd_secret.status, SECRETMEM_AVAILABLE);
    } else {
        EXPECT_NE(r.memfd_secret.status, SECRETMEM_AVAILABLE);
        EXPECT_EQ(r.memfd_secret.error, error);
    }
}

TEST(Probe, ReportsLimitsAndRelease)
{
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &limit), 0);
    utsname uts{};
    ASSERT_EQ(uname(&uts), 0);

    const secretmem_probe_result r = probe();
    if (limit.rlim_cur != RLIM_INFINITY) {
        EXPECT_EQ(r.memlock_soft, limit.rlim_cur);
    } else {
        EXPECT_EQ(r.memlock_soft, SECRETMEM_LIMIT_INFINITY);
    }
    EXPECT_STREQ(r.kernel_release, uts.release);
}

TEST(Probe, CountsLockedMemory)
{
    if (secretmem::test::mlock_is_a_stub)
        GTEST_SKIP() << "this sanitizer's mlock() locks nothing: VmLck cannot grow";
    const std::size_t length = 4 * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    const std::uint64_t before = probe().locked_bytes;
    ASSERT_EQ(mlock(p, length), 0);
    EXPECT_EQ(probe().locked_bytes, before + length);
    munmap(p, length);
}

TEST(Probe, AbsentWhenTheKernelSaysENOSYS)
{
    EXPECT_EXIT(
        {
            secretmem::test::hide_secret_syscalls();
            const secretmem_probe_result r = probe();
            std::exit(r.memfd_secret.status == SECRETMEM_ABSENT &&
                              r.native.status == SECRETMEM_ABSENT
                          ? 0
                          : 1);
        },
        testing::ExitedWithCode(0), "");
}

TEST(Probe, DeniedWhenSeccompSaysEPERM)
{
    EXPECT_EXIT(
        {
            secretmem::test::hide_secret_syscalls(/*deny=*/true);
            const secretmem_probe_result r = probe();
            std::exit(
                r.memfd_secret.status == SECRETMEM_DENIED && r.memfd_secret.error == EPERM ? 0 : 1);
        },
        testing::ExitedWithCode(0), "");
}

// Whether mapping one page of memfd_secret works right now.
bool memfd_secret_maps()
{
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const int fd = memfd_secret(O_CLOEXEC);
    bool mapped = false;
    if (fd >= 0 && ftruncate(fd, static_cast<off_t>(page)) == 0) {
        void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        mapped = p != MAP_FAILED;
        if (mapped)
            munmap(p, page);
    }
    if (fd >= 0)
        close(fd);
    return mapped;
}

// With RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK, what charges the limit says
// "limited".  memfd_secret charges it on some kernels only (6.18 does, 6.12
// does not), so the probe must agree with a direct attempt.
TEST(Probe, LimitedWhenMemlockIsZero)
{
    const secretmem_probe_result r = probe();
    if (r.memfd_secret.status != SECRETMEM_AVAILABLE)
        GTEST_SKIP() << "memfd_secret is " << secretmem_status_name(r.memfd_secret.status);
    EXPECT_EXIT(
        {
            secretmem::test::limit_memlock(0);
            const secretmem_probe_result limited = probe();
            const bool memfd_agrees =
                (limited.memfd_secret.status == SECRETMEM_AVAILABLE) == memfd_secret_maps();
            const bool native_limited = limited.native.status == SECRETMEM_ABSENT ||
                                        limited.native.status == SECRETMEM_LIMITED;
            // Under a sanitizer mlock() succeeds whatever the limit.
            const bool mlock_limited =
                secretmem::test::mlock_is_a_stub || limited.mlock.status == SECRETMEM_LIMITED;
            std::exit(memfd_agrees && native_limited && mlock_limited &&
                              limited.ipc_lock_capable == 0
                          ? 0
                          : 1);
        },
        testing::ExitedWithCode(0), "");
}

TEST(Probe, StatusNames)
{
    EXPECT_STREQ(secretmem_status_name(SECRETMEM_AVAILABLE), "available");
    EXPECT_STREQ(secretmem_status_name(SECRETMEM_ABSENT), "absent");
    EXPECT_STREQ(secretmem_status_name(SECRETMEM_DENIED), "denied");
    EXPECT_STREQ(secretmem_status_name(SECRETMEM_LIMITED), "limited");
    EXPECT_STREQ(secretmem_status_name(SECRETMEM_FAILED), "failed");
}

} // namespace
