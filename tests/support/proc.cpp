// SPDX-License-Identifier: MIT
#include "proc.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/uio.h>
#include <unistd.h>

namespace secretmem::test {
namespace {
std::string proc_path(pid_t pid, const char* leaf)
{
    return pid == 0 ? std::string("/proc/self/") + leaf
                    : "/proc/" + std::to_string(pid) + "/" + leaf;
}
} // namespace

std::optional<std::string> mapping_perms(const void* addr, pid_t pid)
{
    std::ifstream maps(proc_path(pid, "maps"));
    const auto target = reinterpret_cast<std::uintptr_t>(addr);
    for (std::string line; std::getline(maps, line);) {
        std::uintptr_t start = 0;
        std::uintptr_t end = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s", &start, &end, perms) == 3 &&
            start <= target && target < end)
            return std::string(perms);
    }
    return std::nullopt;
}

int read_proc_mem(pid_t pid, const void* addr, void* out, std::size_t length)
{
    const int fd = ::open(proc_path(pid, "mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    const ssize_t n =
        ::pread(fd, out, length, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(addr)));
    const int error = n < 0 ? errno : (static_cast<std::size_t>(n) == length ? 0 : EIO);
    ::close(fd);
    return error;
}

int read_process_vm(pid_t pid, const void* addr, void* out, std::size_t length)
{
    iovec local{out, length};
    iovec remote{const_cast<void*>(addr), length};
    const ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return errno;
    return static_cast<std::size_t>(n) == length ? 0 : EIO;
}

} // namespace secretmem::test
