// SPDX-License-Identifier: MIT
#include "oom.hpp"

#include "pressure.hpp"
#include "secretmem/mman.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace secretmem::stress {
namespace {

constexpr std::size_t mib = std::size_t{1} << 20;
constexpr int refused_status = 3;

// What the child tells the parent, after each step and when refused.
struct progress_report {
    std::uint64_t populated = 0;
    int error = 0; // errno of the refusal
};

// The child: secret mappings of a quarter of the machine each (one mapping
// larger than the machine would be refused by overcommit before any page
// is taken), populated one after another, until the kernel says no or the
// OOM killer ends it.  How far it got goes down the pipe, 64 MiB at a time.
[[noreturn]] void hog(int progress, std::uint64_t total_bytes)
{
    const std::size_t piece = total_bytes / 4 / mib * mib;
    progress_report report;
    auto refused = [&] {
        report.error = errno;
        (void)::write(progress, &report, sizeof report);
        ::_exit(refused_status);
    };
    for (;;) {
        void* p = ::mmap(nullptr, piece, PROT_READ | PROT_WRITE, MAP_SECRET | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            refused();
        for (std::size_t off = 0; off < piece; off += 64 * mib) {
            const std::size_t step = std::min(64 * mib, piece - off);
            if (::madvise(static_cast<char*>(p) + off, step, MADV_POPULATE_WRITE) != 0)
                refused();
            report.populated += step;
            (void)::write(progress, &report, sizeof report);
        }
    }
}

bool machine_still_works()
{
    const std::size_t bytes = 64 * mib;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    std::memset(p, 0x5a, bytes);
    ::munmap(p, bytes);
    return true;
}

} // namespace

int run_oom()
{
    const std::uint64_t total = meminfo_kib("MemTotal") * 1024;
    const std::uint64_t secret_before = meminfo_kib("SecretMap");
    int pipe_fds[2];
    if (total == 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        std::perror("secret-stress --oom: /proc/meminfo or pipe");
        return 1;
    }
    std::printf("secret-stress --oom: asking for more than MemTotal (%llu MiB) of secret memory\n",
                static_cast<unsigned long long>(total / mib));
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        hog(pipe_fds[1], total);
    }
    ::close(pipe_fds[1]);
    progress_report last;
    progress_report latest;
    while (::read(pipe_fds[0], &latest, sizeof latest) == sizeof latest)
        last = latest;
    const std::uint64_t populated = last.populated;
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    bool clean = true;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        std::printf("  OOM-killed after %llu MiB populated\n",
                    static_cast<unsigned long long>(populated / mib));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == refused_status) {
        std::printf("  refused after %llu MiB populated: %s\n",
                    static_cast<unsigned long long>(populated / mib), std::strerror(last.error));
    } else {
        std::printf("  FAILED: the child ended with status 0x%x after %llu MiB\n",
                    static_cast<unsigned>(status),
                    static_cast<unsigned long long>(populated / mib));
        clean = false;
    }
    if (!machine_still_works()) {
        std::printf("  FAILED: 64 MiB of plain memory can no longer be had\n");
        clean = false;
    }
    // The killed child's pages are freed at its exit; the pool zeroes them
    // within a tenth of a second.
    std::uint64_t secret_after = meminfo_kib("SecretMap");
    for (int i = 0; i < 100 && secret_after != secret_before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        secret_after = meminfo_kib("SecretMap");
    }
    std::printf("  SecretMap: %llu kB before, %llu kB after\n",
                static_cast<unsigned long long>(secret_before),
                static_cast<unsigned long long>(secret_after));
    if (secret_after != secret_before) {
        std::printf("  FAILED: secret memory was not all given back\n");
        clean = false;
    }
    std::printf("secret-stress --oom: %s\n", clean ? "passed" : "FAILED");
    return clean ? 0 : 1;
}

} // namespace secretmem::stress
