// SPDX-License-Identifier: MIT
// mmap(MAP_SECRET) of the secretmem kernel series: anonymous private memory
// the kernel keeps out of its direct map, locked, out of core dumps, and
// zero-filled in a forked child.
#include "backends.hpp"

#include <secretmem/mman.h>

#include <cerrno>

namespace secretmem::detail {
namespace {

class native final : public backend {
public:
    [[nodiscard]] backend_kind kind() const noexcept override { return backend_kind::native; }
    [[nodiscard]] std::string_view mechanism() const noexcept override
    {
        return "mmap(MAP_SECRET)";
    }
    [[nodiscard]] protections protects() const noexcept override
    {
        return {true, true, true, true, "a zero-filled secret range"};
    }

    [[nodiscard]] const availability& available() const override
    {
        static const availability a = to_availability(
            kernel_probe().native, "mprotect(PROT_SECRET)",
            "this kernel has no MAP_SECRET/PROT_SECRET (mprotect rejects PROT_SECRET with "
            "EINVAL): boot a kernel with the secretmem series (kernel/), without "
            "secret_map=off on its command line");
        return a;
    }

    [[nodiscard]] std::error_code map_at(void* addr, std::size_t length) const noexcept override
    {
        // A kernel without the series refuses the MAP_SECRET mapping type
        // with EINVAL: the range is secret, or nothing was mapped.
        void* p = ::mmap(addr, length, PROT_READ | PROT_WRITE,
                         MAP_SECRET | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED)
            return {errno, std::system_category()};
        return {};
    }

    // MADV_KEEPONFORK: fork() fills fresh secret pages of the child's with
    // a copy, never through the direct map; kernels before that fail it
    // with EINVAL on secret memory.
    [[nodiscard]] std::error_code kernel_copies_on_fork(void* addr, std::size_t length,
                                                        bool copy) const noexcept override
    {
        if (::madvise(addr, length, copy ? MADV_KEEPONFORK : MADV_WIPEONFORK) != 0)
            return {errno, std::system_category()};
        return {};
    }

    // The kernel gave the child its own secret range there, zero-filled.
    [[nodiscard]] std::error_code remake_after_fork(void* addr,
                                                    std::size_t length) const noexcept override
    {
        if (::mprotect(addr, length, PROT_READ | PROT_WRITE) != 0)
            return {errno, std::system_category()};
        return {};
    }
};

} // namespace

const backend& native_backend() noexcept
{
    static const native instance;
    return instance;
}

} // namespace secretmem::detail
