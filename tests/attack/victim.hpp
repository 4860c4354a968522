// SPDX-License-Identifier: MIT
// A separate process that holds a target's memory, for attacks that come
// from another process (ptrace, /proc/PID/mem, process_vm_*).
#pragma once

#include "target.hpp"

#include <sys/types.h>

namespace secretmem::attack {

class victim {
public:
    // Forks; the child maps the target itself (memfd_secret memory is not
    // inherited) and waits.
    victim(const target& t, std::size_t length);
    victim(const victim&) = delete;
    victim& operator=(const victim&) = delete;
    victim(victim&&) = delete;
    victim& operator=(victim&&) = delete;
    ~victim();

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    // The secret's address in the victim's address space.
    [[nodiscard]] std::byte* address() const noexcept { return address_; }
    [[nodiscard]] std::size_t size() const noexcept { return length_; }
    // Whether the victim's bytes are still the pattern; ends the victim.
    // Not const: it ends the victim.
    [[nodiscard]] bool intact(); // NOLINT(readability-make-member-function-const)

private:
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    std::byte* address_ = nullptr;
    std::size_t length_;
};

} // namespace secretmem::attack
