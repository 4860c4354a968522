// SPDX-License-Identifier: MIT
// Where libsecretmem-preload.so is, for `secretmem run`.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace secretmem::cli {

// No shim where it should be; the message lists where we looked.
class preload_not_found : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// $SECRETMEM_PRELOAD_LIBRARY if set; else, next to this executable, where
// the build tree keeps the shim, then where an installation relocated as a
// whole keeps it (libdir as seen from bindir); else the configured libdir.
// Throws preload_not_found.
[[nodiscard]] std::filesystem::path find_preload_library();

} // namespace secretmem::cli
