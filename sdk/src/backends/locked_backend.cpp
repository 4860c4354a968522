// SPDX-License-Identifier: MIT
// The degraded fallback: ordinary anonymous memory, locked so it is never
// swapped, excluded from core dumps and wiped in a forked child.  It stays in
// the kernel's direct map and is readable through /proc/PID/mem and ptrace,
// which is why the policy refuses it unless the caller allows degraded
// protection.
#include "backends.hpp"

#include <cerrno>
#include <sys/mman.h>

namespace secretmem::detail {
namespace {

class locked final : public backend {
public:
    [[nodiscard]] backend_kind kind() const noexcept override { return backend_kind::locked; }
    [[nodiscard]] std::string_view mechanism() const noexcept override { return "mlock(2)"; }
    [[nodiscard]] protections protects() const noexcept override
    {
        return {false, false, true, true, "a zero-filled range (MADV_WIPEONFORK)"};
    }

    [[nodiscard]] const availability& available() const override
    {
        static const availability a =
            to_availability(kernel_probe().mlock, "mlock", "this kernel cannot lock memory");
        return a;
    }

    [[nodiscard]] std::error_code map_at(void* addr, std::size_t length) const noexcept override
    {
        if (::mmap(addr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0) == MAP_FAILED ||
            ::mlock(addr, length) != 0 || ::madvise(addr, length, MADV_DONTDUMP) != 0 ||
            ::madvise(addr, length, MADV_WIPEONFORK) != 0)
            return {errno, std::system_category()};
        return {};
    }

    // MADV_WIPEONFORK zero-filled it, but locks are not inherited.
    [[nodiscard]] std::error_code remake_after_fork(void* addr,
                                                    std::size_t length) const noexcept override
    {
        if (::mprotect(addr, length, PROT_READ | PROT_WRITE) != 0 || ::mlock(addr, length) != 0)
            return {errno, std::system_category()};
        return {};
    }
};

} // namespace

const backend& locked_backend() noexcept
{
    static const locked instance;
    return instance;
}

} // namespace secretmem::detail
