// SPDX-License-Identifier: MIT
// The attacks aimed at programs that are already running, such as a TLS
// server holding its private key: `secretmem-attack --pid PID --key HEX`.
//
// The attacker knows the key's bytes (the person running the demo does: it
// made the key) only to tell whether an attack got them.  It looks for them
// in every readable page, then tries each way in on every mapping the kernel
// marks secret (VmFlags "sc" for MAP_SECRET, /secretmem for memfd_secret)
// and, in a control process that keeps the key in ordinary memory, on the
// page where it found the key: an attack that fails on the control proves
// nothing.  The core dump comes last: it ends the process.
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace secretmem::attack {

struct running_process {
    pid_t pid;
    std::string label; // the table's column heading
    // Keeps the key in ordinary memory: every attack must get it there.
    bool control;
};

// Attacks each process in turn and prints what each attack got, as a
// table.  Every process is gone afterwards (the core dump kills it).  True
// when each attack got the key from every control and nothing from the
// others.
[[nodiscard]] bool attack_processes(const std::vector<running_process>& processes,
                                    const std::vector<std::byte>& key);

} // namespace secretmem::attack
