// SPDX-License-Identifier: MIT
// Where the preload shim's exit reports go under `secretmem run`: a file of
// our own that the program and all it starts inherit, named to the shim by
// SECRETMEM_PRELOAD_REPORT_FD (libc-shim/preload/report.c).  Its standard
// error stays the program's own.
#pragma once

#include <unique_fd.hpp>

#include <cstddef>
#include <string>

namespace secretmem::cli {

class report_file {
public:
    // An empty memfd, close-on-exec, numbered above 0, 1 and 2 so that it
    // cannot stand in for a standard stream we were started without.
    // Throws std::system_error.
    report_file();

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

    struct contents {
        std::string text;
        bool truncated = false; // the file holds more than was read
    };
    // What was written to it, from its start, at most `limit` bytes.  The
    // processes' shared file position is left alone: one still running may
    // yet write.  Throws std::system_error.
    [[nodiscard]] contents read(std::size_t limit) const;

private:
    posix::unique_fd fd_;
};

} // namespace secretmem::cli
