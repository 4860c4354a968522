// SPDX-License-Identifier: MIT
#pragma once

#include <span>
#include <string_view>

namespace secretmem::cli {

// Exit codes of every command; `run` passes the program's own on, so its
// codes for itself are those env(1) and timeout(1) use.
enum exit_code : int {
    ok = 0,
    failure = 1,          // the command ran and found a problem
    usage = 2,            // bad arguments
    run_failed = 125,     // run: could not run the program as asked
    cannot_execute = 126, // run: the program was found but could not be run
    not_found = 127,      // run: no such program
    killed_base = 128,    // run: + the signal that killed the program
};

int info(std::span<const std::string_view> args);
int run(std::span<const std::string_view> args);
int enable(std::span<const std::string_view> args);
int disable(std::span<const std::string_view> args);

} // namespace secretmem::cli
