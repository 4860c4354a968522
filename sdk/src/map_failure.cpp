// SPDX-License-Identifier: MIT
#include "map_failure.hpp"

#include "errno_text.hpp"

#include <secretmem/probe.h>

#include <cerrno>
#include <fstream>

namespace secretmem::detail {
namespace {

std::string max_map_count()
{
    std::ifstream in("/proc/sys/vm/max_map_count");
    std::string value;
    return in >> value ? value : "unknown";
}

bool is_memlock_error(const backend& b, int error)
{
    // memfd_secret and MAP_SECRET charge RLIMIT_MEMLOCK at mmap/mprotect
    // time (EAGAIN); mlock() says ENOMEM, or EPERM when the limit is 0.
    if (error == EAGAIN)
        return true;
    return b.kind() == backend_kind::locked && (error == ENOMEM || error == EPERM);
}

std::string memlock_advice(std::size_t length)
{
    // Read now, not from the cached probe: the limit and the locked total
    // move while the process runs.
    secretmem_probe_result now{};
    (void)secretmem_probe(&now);
    const std::uint64_t need_kib = (now.locked_bytes + length + 1023) / 1024;
    return "RLIMIT_MEMLOCK is " + format_bytes(now.memlock_soft) + " (hard limit " +
           format_bytes(now.memlock_hard) + ") and " + format_bytes(now.locked_bytes) +
           " is locked already, while this region needs " + format_bytes(length) +
           ": raise the limit, e.g. `ulimit -l " + std::to_string(need_kib) +
           "` in the shell, memlock in /etc/security/limits.conf, or LimitMEMLOCK= for a "
           "systemd service";
}

} // namespace

std::string format_bytes(std::uint64_t bytes)
{
    if (bytes == SECRETMEM_LIMIT_INFINITY)
        return "unlimited";
    constexpr std::uint64_t kib = 1024;
    if (bytes >= kib * kib && bytes % (kib * kib) == 0)
        return std::to_string(bytes / (kib * kib)) + " MiB";
    if (bytes >= kib && bytes % kib == 0)
        return std::to_string(bytes / kib) + " KiB";
    return std::to_string(bytes) + " B";
}

std::string describe_map_failure(const backend& b, int error, std::size_t length)
{
    std::string text = std::string(b.mechanism()) + " of " + format_bytes(length) +
                       " failed with " + errno_text(error);
    if (is_memlock_error(b, error))
        return text + ": " + memlock_advice(length);
    if (error == ENOMEM) {
        return text + ": out of memory, or the process reached vm.max_map_count (" +
               max_map_count() + " mappings)";
    }
    return text;
}

} // namespace secretmem::detail
