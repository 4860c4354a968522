// SPDX-License-Identifier: MIT
#include "primitives.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

namespace secretmem::attack {

int ptrace_stop(pid_t pid)
{
    if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0 ||
        ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0)
        return errno;
    int status = 0;
    // A tracer may wait for its tracee even when it is not the parent.
    return ::waitpid(pid, &status, 0) == pid ? 0 : errno;
}

void ptrace_detach(pid_t pid)
{
    (void)::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
}

int peek_words(pid_t pid, const std::byte* address, std::byte* out, std::size_t length)
{
    for (std::size_t off = 0; off < length; off += sizeof(long)) {
        // PEEKDATA returns the word itself: only errno tells a failure.
        errno = 0;
        const long word = ::ptrace(PTRACE_PEEKDATA, pid, address + off, nullptr);
        if (errno != 0)
            return errno;
        std::memcpy(out + off, &word, sizeof(word));
    }
    return 0;
}

std::vector<std::optional<std::uint64_t>> frames_of(const void* start, std::size_t pages, pid_t pid)
{
    const std::string path =
        pid == 0 ? std::string("/proc/self/pagemap") : "/proc/" + std::to_string(pid) + "/pagemap";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    std::vector<std::uint64_t> entries(pages);
    const auto first = reinterpret_cast<std::uintptr_t>(start) / page;
    const auto bytes = static_cast<ssize_t>(pages * sizeof(std::uint64_t));
    const bool ok = ::pread(fd, entries.data(), static_cast<std::size_t>(bytes),
                            static_cast<off_t>(first * sizeof(std::uint64_t))) == bytes;
    ::close(fd);
    if (!ok)
        return {};
    constexpr std::uint64_t present = 1ULL << 63;
    constexpr std::uint64_t pfn_mask = (1ULL << 55) - 1;
    std::vector<std::optional<std::uint64_t>> frames(pages);
    for (std::size_t i = 0; i < pages; ++i) {
        // A zero frame number with the present bit: a reader without the
        // right to see frames.
        if ((entries[i] & present) != 0 && (entries[i] & pfn_mask) != 0)
            frames[i] = entries[i] & pfn_mask;
    }
    return frames;
}

std::optional<std::uint64_t> frame_of(const void* address, pid_t pid)
{
    const auto frames = frames_of(address, 1, pid);
    return frames.empty() ? std::nullopt : frames.front();
}

std::optional<std::string> probe_frame(std::uint64_t pfn)
{
    const int fd = ::open(probe_path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    const std::string query = "pfn " + std::to_string(pfn);
    char answer[256] = {};
    const bool ok = ::write(fd, query.data(), query.size()) == static_cast<ssize_t>(query.size()) &&
                    ::read(fd, answer, sizeof(answer) - 1) > 0;
    ::close(fd);
    return ok ? std::optional<std::string>(answer) : std::nullopt;
}

bool says(const std::string& answer, const char* field)
{
    return answer.find(field) != std::string::npos;
}

} // namespace secretmem::attack
