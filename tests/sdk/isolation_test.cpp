// SPDX-License-Identifier: MIT
// Other processes and the kernel's own access paths cannot read a secret
// region: /proc/PID/mem and process_vm_readv are refused for the kernel
// backends, and the degraded backend is shown to be readable, as it claims.
// Every refusal is paired with a control read of ordinary memory that must
// succeed, so a broken reader cannot pass for a refusal.
#include "../support/proc.hpp"
#include "backend_param.hpp"

#include <cerrno>
#include <cstring>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace secretmem::test {
namespace {

constexpr char pattern[] = "correct horse battery staple";

class Isolation : public EachBackend {
protected:
    void SetUp() override
    {
        EachBackend::SetUp();
        if (IsSkipped())
            return;
        secret_ = allocate(sizeof(pattern));
        auto w = secret_.write();
        std::memcpy(w.data(), pattern, sizeof(pattern));
        address_ = w.data();
    }

    [[nodiscard]] bool readable_by_others() const
    {
        return !backend_for(GetParam()).protects().other_processes;
    }

    region secret_;
    const std::byte* address_ = nullptr;
    // Ordinary memory with the same bytes: the control.
    char plain_[sizeof(pattern)] = {};
};
SECRETMEM_FOR_EACH_BACKEND(Isolation);

TEST_P(Isolation, ProcSelfMem)
{
    std::memcpy(plain_, pattern, sizeof(pattern));
    char out[sizeof(pattern)] = {};
    ASSERT_EQ(read_proc_mem(0, plain_, out, sizeof(out)), 0) << "control read failed";
    ASSERT_STREQ(out, pattern);

    std::memset(out, 0, sizeof(out));
    // Even with a read window open (the pages are PROT_READ|PROT_WRITE now):
    // the kernel refuses to pin secret pages, whatever their protection.
    const auto open = secret_.read();
    const int result = read_proc_mem(0, address_, out, sizeof(out));
    if (readable_by_others()) {
        EXPECT_EQ(result, 0);
        EXPECT_STREQ(out, pattern) << "the degraded backend is readable and must say so";
    } else {
        EXPECT_EQ(result, EIO);
        EXPECT_STRNE(out, pattern);
    }
}

// A child process reads this process's memory with process_vm_readv.
TEST_P(Isolation, ProcessVmReadvFromAnotherProcess)
{
    std::memcpy(plain_, pattern, sizeof(pattern));
    const auto open = secret_.read();
    (void)::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY); // Yama, where it is on
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        char out[sizeof(pattern)] = {};
        if (read_process_vm(parent, plain_, out, sizeof(out)) != 0 ||
            std::strcmp(out, pattern) != 0)
            ::_exit(100); // the control failed
        std::memset(out, 0, sizeof(out));
        const int result = read_process_vm(parent, address_, out, sizeof(out));
        if (result == 0)
            ::_exit(std::strcmp(out, pattern) == 0 ? 0 : 101);
        ::_exit(result);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_NE(WEXITSTATUS(status), 100) << "control read of ordinary memory failed";
    if (readable_by_others()) {
        EXPECT_EQ(WEXITSTATUS(status), 0) << "the degraded backend is readable and must say so";
    } else {
        EXPECT_EQ(WEXITSTATUS(status), EFAULT);
    }
}

} // namespace
} // namespace secretmem::test
