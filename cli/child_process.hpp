// SPDX-License-Identifier: MIT
// Run a program to its end the way a wrapper such as env(1) or timeout(1)
// should: its standard streams are the ones we were given, signals sent to
// us reach it, and our exit waits for it.
#pragma once

#include <string>
#include <sys/types.h>
#include <system_error>
#include <vector>

namespace secretmem::cli {

// The program could not be started (exec failed: ENOENT, EACCES, ...).
class spawn_error : public std::system_error {
public:
    spawn_error(int error, const std::string& what)
        : std::system_error(error, std::generic_category(), what)
    {
    }
};

struct child_exit {
    pid_t pid = 0;       // the program's process
    int wait_status = 0; // from waitpid
};

// Run argv (searched in PATH as a shell would) with `environment` and wait
// for it to exit.  `shared_fd`, close-on-exec here, is open in the program
// at the same number without close-on-exec: the only descriptor it gets
// that we did not inherit.  Signals sent to us with kill(2) (HUP, INT,
// QUIT, TERM, USR1, USR2) are passed on to it; those the terminal sends
// reach it directly.  Throws spawn_error when the program cannot be
// started, std::system_error when we cannot set up what it needs.  Leaves
// those signals blocked in this process: one arriving after the program
// ended must not stop us before we report.
[[nodiscard]] child_exit run_supervised(const std::vector<std::string>& argv,
                                        const std::vector<std::string>& environment, int shared_fd);

} // namespace secretmem::cli
