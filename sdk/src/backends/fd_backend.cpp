// SPDX-License-Identifier: MIT
// memfd_secret(2): stock since Linux 5.14.  One file per region, sized once,
// mapped shared, and closed at once so no descriptor outlives the mapping.
#include "backends.hpp"

#include <secretmem/mman.h>
#include <unique_fd.hpp>

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

// The file mapped at [addr, addr + length), never leaving a hole there.
// Where the range is free (a forked child remaking its heap, which
// MADV_DONTFORK left out of it), straight into place.  Over the caller's
// reservation, where the kernel chooses and then moved into place: a
// MAP_FIXED mmap() that fails in the file's own mmap (over RLIMIT_MEMLOCK:
// EAGAIN) has already unmapped the range it was given, and the hole could go
// to anyone's next mmap() before the caller unmaps or remaps its
// reservation, taking that memory from its new owner.  mremap() makes its
// checks before it replaces the range.
std::error_code map_file_at(int file, void* addr, std::size_t length) noexcept
{
    constexpr int prot = PROT_READ | PROT_WRITE;
    if (::mmap(addr, length, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, file, 0) != MAP_FAILED)
        return {};
    if (errno != EEXIST)
        return {errno, std::system_category()};
    void* elsewhere = ::mmap(nullptr, length, prot, MAP_SHARED, file, 0);
    if (elsewhere == MAP_FAILED)
        return {errno, std::system_category()};
    if (::mremap(elsewhere, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, addr) == MAP_FAILED) {
        const int error = errno;
        ::munmap(elsewhere, length);
        return {error, std::system_category()};
    }
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
        std::error_code result;
        {
            const posix::unique_fd file(::memfd_secret(O_CLOEXEC));
            if (!file.valid())
                return {errno, std::system_category()};
            if (::ftruncate(file.get(), static_cast<off_t>(length)) != 0) {
                result = {errno, std::system_category()};
            } else {
                result = map_file_at(file.get(), addr, length);
            }
        }
        // A MAP_SHARED mapping would be inherited: the child would share the
        // secret pages.  Keep them out of children altogether.
        if (!result && ::madvise(addr, length, MADV_DONTFORK) != 0)
            result = {errno, std::system_category()};
        if (!result)
            result = fault_in(addr, length);
        return result;
    }

    // MADV_DONTFORK left a hole there: a new file of the child's own.
    [[nodiscard]] std::error_code remake_after_fork(void* addr,
                                                    std::size_t length) const noexcept override
    {
        return map_at(addr, length);
    }
};

} // namespace

const backend& fd_backend() noexcept
{
    static const fd instance;
    return instance;
}

} // namespace secretmem::detail
