// SPDX-License-Identifier: MIT
#include "access_probe.hpp"

#include "../common/check.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace secretmem::fuzz {

access_probe::access_probe()
{
    std::array<int, 2> ends{};
    FUZZ_CHECK(::pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s",
               std::strerror(errno));
    read_end_ = ends[0];
    write_end_ = ends[1];
}

access_probe::~access_probe()
{
    ::close(read_end_);
    ::close(write_end_);
}

void access_probe::drain() const
{
    std::byte sink{};
    while (::read(read_end_, &sink, 1) == 1) {
    }
}

bool access_probe::readable(const std::byte* p) const
{
    const ssize_t n = ::write(write_end_, p, 1);
    FUZZ_CHECK(n == 1 || errno == EFAULT, "probe write(2): %s", std::strerror(errno));
    drain();
    return n == 1;
}

bool access_probe::writable(std::byte* p, std::byte current) const
{
    FUZZ_CHECK(::write(write_end_, &current, 1) == 1, "probe write(2): %s", std::strerror(errno));
    const ssize_t n = ::read(read_end_, p, 1);
    FUZZ_CHECK(n == 1 || errno == EFAULT, "probe read(2): %s", std::strerror(errno));
    drain();
    return n == 1;
}

} // namespace secretmem::fuzz
