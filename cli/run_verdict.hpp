// SPDX-License-Identifier: MIT
// What `secretmem run` says once the program has exited, and the status it
// exits with: the program's, unless its secrets were not kept as required.
#pragma once

#include "preload_report.hpp"

#include <secretmem/backend.hpp>

#include <ostream>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace secretmem::cli {

struct run_outcome {
    std::string_view program;            // as the user named it
    pid_t pid = 0;                       // its process
    int wait_status = 0;                 // from waitpid
    std::vector<preload_report> reports; // one per process that reported, in exit order
    const backend* expected = nullptr;   // the backend the heap should have taken
    bool native_required = false;        // --require=native
};

// Tell `out` where the program's secrets were kept, and those of what it
// started, each process named by its name and pid; or that nothing shows
// it; and return the exit status.  Never quiet about a backend other than
// the expected one, or about degraded memory.
[[nodiscard]] int conclude(const run_outcome& outcome, std::ostream& out);

} // namespace secretmem::cli
