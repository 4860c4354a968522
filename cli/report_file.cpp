// SPDX-License-Identifier: MIT
#include "report_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>

namespace secretmem::cli {
namespace {

[[noreturn]] void fail(const char* what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

} // namespace

// A memfd rather than a pipe: nobody has to read it while the program runs,
// so a program that outlives our wait, or writes after we are gone, never
// blocks on it.  And writes by processes sharing its open file description
// move one file position atomically (FMODE_ATOMIC_POS), so their lines,
// each one write(), never overlap.
report_file::report_file() : fd_(::memfd_create("secretmem-run-reports", MFD_CLOEXEC))
{
    if (!fd_.valid()) {
        fail("memfd_create");
    }
    if (fd_.get() <= STDERR_FILENO) {
        posix::unique_fd moved(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
        if (!moved.valid()) {
            fail("fcntl(F_DUPFD_CLOEXEC)");
        }
        fd_ = std::move(moved);
    }
}

report_file::contents report_file::read(std::size_t limit) const
{
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) {
        fail("fstat");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    contents result;
    result.truncated = size > limit;
    result.text.resize(result.truncated ? limit : size);
    std::size_t got = 0;
    while (got < result.text.size()) {
        const ssize_t n = ::pread(fd_.get(), result.text.data() + got, result.text.size() - got,
                                  static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail("pread");
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    result.text.resize(got);
    return result;
}

} // namespace secretmem::cli
