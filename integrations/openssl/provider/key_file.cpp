// SPDX-License-Identifier: MIT
#include "key_file.hpp"

#include <secretmem/error.hpp>
#include <unique_fd.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace secretmem::provider {
namespace {

key_file failure(const std::string& path, const std::string& what)
{
    key_file f;
    f.error = path + ": " + what;
    return f;
}

} // namespace

key_file read_key_file(const std::string& path)
{
    const posix::unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!file.valid())
        return failure(path, std::strerror(errno));
    struct stat st {};
    if (::fstat(file.get(), &st) != 0)
        return failure(path, std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        return failure(path, "not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0)
        return failure(path, "the file is empty");
    if (size > max_key_file_size)
        return failure(path, "larger than 1 MiB: not a key file");

    key_file f;
    try {
        f.contents = region::allocate(size);
    } catch (const error& e) {
        f = failure(path, e.what());
        f.no_secret_memory = true;
        return f;
    }
    std::size_t done = 0;
    int read_errno = 0;
    {
        auto w = f.contents.write();
        while (done < size) {
            const ssize_t n = ::read(file.get(), w.data() + done, size - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                read_errno = errno;
            if (n <= 0)
                break;
            done += static_cast<std::size_t>(n);
        }
    }
    // Secret pages cannot be pinned (GUP refuses them), so a file system
    // that reads straight into the caller's pages fails with EFAULT.
    if (read_errno == EFAULT) {
        return failure(path, "the file system cannot read into secret memory (it reads into "
                             "the caller's pages directly, as 9p and FUSE may): keep the key "
                             "on a local file system such as ext4 or tmpfs");
    }
    if (read_errno != 0)
        return failure(path, std::string("read failed: ") + std::strerror(read_errno));
    if (done != size)
        return failure(path, "the file changed while it was read");
    f.size = size;
    return f;
}

} // namespace secretmem::provider
