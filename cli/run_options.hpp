// SPDX-License-Identifier: MIT
// The command line of `secretmem run`.
#pragma once

#include <secretmem/backend.hpp>

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace secretmem::cli {

extern const char* const run_help;

struct run_options {
    bool help = false;
    std::string mode = "explicit";       // SECRETMEM_PRELOAD
    std::string openssl = "all";         // SECRETMEM_PRELOAD_OPENSSL
    bool allow_degraded = false;         // accept the mlock fallback
    std::optional<backend_kind> require; // the backend the secrets must end in
    std::vector<std::string> command;
};

// Bad arguments; the message says which and what to give instead.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Options stop at "--" or at the first argument that is not one.  Throws
// usage_error, also when no command follows (unless --help).
[[nodiscard]] run_options parse_run_options(std::span<const std::string_view> args);

} // namespace secretmem::cli
