// SPDX-License-Identifier: MIT
// memfd_secret(2): stock since Linux 5.14.  One file per region, sized once,
// mapped shared, and closed at once so no descriptor outlives the mapping.
#include "backends.hpp"

#include <secretmem/mman.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace secretmem::detail {
namespace {

// Kernels that charge memfd_secret pages to RLIMIT_MEMLOCK (Debian's 6.12,
// upstream since) do it as each page is faulted in, and a fault over the
// limit is a SIGBUS, in the caller's hands, long after the region was
// handed out.  MAP_POPULATE and MADV_POPULATE_WRITE go through GUP, which
// refuses secretmem.  getrandom(2) faults the pages in from the kernel's
// side, where that SIGBUS becomes EFAULT: the limit fails here, as EAGAIN.
// The pages are zeroed again after: a fresh region reads as zeros on every
// backend.
std::error_code fault_in(void* addr, std::size_t length) noexcept
{
    auto* bytes = static_cast<unsigned char*>(addr);
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n = ::getrandom(bytes + done, length - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return {errno == EFAULT ? EAGAIN : errno, std::system_category()};
        done += static_cast<std::size_t>(n);
    }
    std::memset(bytes, 0, length);
    return {};
}

class fd final : public backend {
public:
    [[nodiscard]] backend_kind kind() const noexcept override { return backend_kind::fd; }
    [[nodiscard]] std::string_view mechanism() const noexcept override { return "memfd_secret(2)"; }
    [[nodiscard]] protections protects() const noexcept override
    {
        return {true, true, true, true, "no mapping (MADV_DONTFORK)"};
    }

    [[nodiscard]] const availability& available() const override
    {
        static const availability a = to_availability(
            kernel_probe().memfd_secret, "memfd_secret",
            "this kernel has no memfd_secret (ENOSYS): it needs CONFIG_SECRETMEM=y and must not "
            "be booted with secretmem.enable=0");
        return a;
    }

    [[nodiscard]] std::error_code map_at(void* addr, std::size_t length) const noexcept override
    {
        const int file = ::memfd_secret(O_CLOEXEC);
        if (file < 0)
            return {errno, std::system_category()};
        std::error_code result;
        if (::ftruncate(file, static_cast<off_t>(length)) != 0 ||
            ::mmap(addr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, file, 0) ==
                MAP_FAILED)
            result = {errno, std::system_category()};
        ::close(file);
        // A MAP_SHARED mapping would be inherited: the child would share the
        // secret pages.  Keep them out of children altogether.
        if (!result && ::madvise(addr, length, MADV_DONTFORK) != 0)
            result = {errno, std::system_category()};
        if (!result)
            result = fault_in(addr, length);
        return result;
    }
};

} // namespace

const backend& fd_backend() noexcept
{
    static const fd instance;
    return instance;
}

} // namespace secretmem::detail
