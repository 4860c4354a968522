// SPDX-License-Identifier: MIT
// The environment `secretmem run` gives the program: the preload shim and
// the variables it reads (libc-shim/preload), set from our options alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace secretmem::cli {

struct shim_settings {
    std::string library;         // libsecretmem-preload.so, a path LD_PRELOAD can carry
    std::string mode;            // SECRETMEM_PRELOAD: "explicit" or "all"
    std::string openssl;         // SECRETMEM_PRELOAD_OPENSSL: "all" or "secure-heap"
    bool allow_degraded = false; // SECRETMEM_ALLOW_DEGRADED
    int report_fd = -1;          // SECRETMEM_PRELOAD_REPORT_FD; -1: reports on stderr
};

// Whether LD_PRELOAD can name `path`: it splits its list at spaces and colons.
[[nodiscard]] bool preloadable(std::string_view path);

// `current` (environ's layout: "NAME=value" strings, then NULL) with the
// shim's variables set from `settings` whatever they were, its exit report
// on, and the shim first in LD_PRELOAD, every other copy of it taken out
// (two would both claim malloc).  Other preloads stay, after it.
[[nodiscard]] std::vector<std::string> child_environment(const char* const* current,
                                                         const shim_settings& settings);

} // namespace secretmem::cli
