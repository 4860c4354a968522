// SPDX-License-Identifier: MIT
// One worker process of the stress: threads churning secret ranges with
// every operation the kernel contract covers, checking after each that every
// page holds what it should, and racer threads faulting on ranges the others
// may be unmapping.
#pragma once

#include "counters.hpp"

#include <chrono>
#include <cstdint>

namespace secretmem::stress {

struct worker_options {
    unsigned threads = 3; // churning threads; one racer besides
    std::uint64_t seed = 0;
    std::chrono::milliseconds lifetime{3000};
};

// Runs in a forked child and never returns. Exits 0 when its lifetime is
// over (sometimes with every thread still running and every range mapped,
// so that exit tears them down), or 70 after printing the first broken
// invariant.
[[noreturn]] void run_worker(const worker_options& options, tallies& counts);

inline constexpr int invariant_broken = 70;

} // namespace secretmem::stress
