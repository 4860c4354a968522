// SPDX-License-Identifier: MIT
// Faults on memory another thread may be unmapping at that moment, from
// user space and from the kernel, without changing a byte of it: so that the
// churning threads can still check every page.
#pragma once

#include "counters.hpp"

#include <cstddef>
#include <cstdint>

namespace secretmem::stress {

// SIGSEGV and SIGBUS handlers that return a racer to its loop; any other
// thread's fault still kills the process, as a bug must.
void install_fault_recovery();

class racer {
public:
    explicit racer(tallies& counts);
    ~racer();
    racer(const racer&) = delete;
    racer& operator=(const racer&) = delete;
    racer(racer&&) = delete;
    racer& operator=(racer&&) = delete;

    // A few faults in [at, at + length): reads, atomic writes of the value
    // already there (a write fault that changes nothing), and a kernel
    // copy_from_user() through pwrite(2).
    void fault(unsigned char* at, std::size_t length, std::uint64_t random);

private:
    tallies& counts_;
    int sink_ = -1; // a memfd the kernel-side reads copy into
};

} // namespace secretmem::stress
