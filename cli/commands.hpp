// SPDX-License-Identifier: MIT
#pragma once

#include <span>
#include <string_view>

namespace secretmem::cli {

// Exit codes of every command.
enum exit_code : int {
    ok = 0,
    failure = 1, // the command ran and found a problem
    usage = 2,   // bad arguments
};

int info(std::span<const std::string_view> args);

} // namespace secretmem::cli
