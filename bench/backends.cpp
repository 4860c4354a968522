#include "backends.hpp"

#include <cerrno>
#include <fcntl.h>
#include <secretmem/mman.h>
#include <secretmem/probe.h>
#include <string>
#include <sys/mman.h>
#include <system_error>
#include <unistd.h>

namespace bench {

namespace {

[[noreturn]] void fail(const std::string& what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

const secretmem_probe_result& probe()
{
    static const secretmem_probe_result result = [] {
        secretmem_probe_result r{};
        secretmem_probe(&r);
        return r;
    }();
    return result;
}

std::string reason(const char* what, const secretmem_feature& f)
{
    if (f.status == SECRETMEM_AVAILABLE) {
        return {};
    }
    return std::string(what) + " " + secretmem_status_name(f.status) + " (" +
           std::system_category().message(f.error) + ")";
}

std::byte* map_anonymous(std::size_t size, int extra_flags)
{
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags,
                   -1, 0);
    if (p == MAP_FAILED) {
        fail("mmap");
    }
    return static_cast<std::byte*>(p);
}

std::byte* map_memfd_secret(std::size_t size)
{
    int fd = memfd_secret(O_CLOEXEC);
    if (fd < 0) {
        fail("memfd_secret");
    }
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        fail("ftruncate(memfd_secret)");
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd); // the mapping keeps the file
    if (p == MAP_FAILED) {
        errno = saved;
        fail("mmap(memfd_secret)");
    }
    return static_cast<std::byte*>(p);
}

} // namespace

std::string_view name(variant v)
{
    switch (v) {
    case variant::map_secret:
        return "MAP_SECRET";
    case variant::prot_secret:
        return "PROT_SECRET";
    case variant::memfd_secret:
        return "memfd_secret";
    case variant::plain:
        return "plain";
    case variant::plain_mlock:
        return "plain_mlock";
    }
    return "?";
}

std::string unavailable_reason(variant v)
{
    switch (v) {
    case variant::map_secret:
    case variant::prot_secret:
        return reason("MAP_SECRET/PROT_SECRET", probe().native);
    case variant::memfd_secret:
        return reason("memfd_secret", probe().memfd_secret);
    case variant::plain_mlock:
        return reason("mlock", probe().mlock);
    case variant::plain:
        return {};
    }
    return "unknown variant";
}

mapping::mapping(variant v, std::size_t size) : variant_(v), size_(size)
{
    switch (v) {
    case variant::map_secret:
        data_ = map_anonymous(size, MAP_SECRET);
        return;
    case variant::memfd_secret:
        data_ = map_memfd_secret(size);
        return;
    case variant::prot_secret:
    case variant::plain:
    case variant::plain_mlock:
        break;
    }
    data_ = map_anonymous(size, 0);
    // Below 2 MiB no huge page fits: spare the small cases the system call.
    if (size >= huge_page_size && madvise(data_, size, MADV_NOHUGEPAGE) != 0) {
        munmap(data_, size);
        fail("madvise(MADV_NOHUGEPAGE)");
    }
    if (v == variant::plain_mlock && mlock2(data_, size, MLOCK_ONFAULT) != 0) {
        munmap(data_, size);
        fail("mlock2(MLOCK_ONFAULT)");
    }
    if (v == variant::prot_secret) {
        touch(data_, size);
    }
}

mapping::~mapping()
{
    munmap(data_, size_);
}

void mapping::populate(std::size_t offset, std::size_t length) const
{
    if (variant_ == variant::prot_secret) {
        if (mprotect(data_ + offset, length, PROT_READ | PROT_WRITE | PROT_SECRET) != 0) {
            fail("mprotect(PROT_SECRET)");
        }
        return;
    }
    touch(data_ + offset, length);
}

void touch(std::byte* p, std::size_t length)
{
    auto* volatile_p = static_cast<volatile std::byte*>(p);
    for (std::size_t i = 0; i < length; i += page_size) {
        volatile_p[i] = std::byte{1};
    }
}

} // namespace bench
