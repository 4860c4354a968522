// SPDX-License-Identifier: MIT
// A program caught at a moment it holds a secret, its memory read as an
// attacker with ptrace rights would (memscan.hpp), and the verdicts on it:
// the control run (no protection) must show the key, or the scan proves
// nothing; the protected run must show none of it.
#pragma once

#include "harness.hpp"
#include "keys.hpp"
#include "memscan.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace secretmem::preload_test {

// Copies of this many bytes of a key or more are reported as partials.
inline constexpr std::size_t partial_width = 16;

// What one frozen run left in memory, and whether it did its job.
struct frozen_run {
    std::string label;
    std::vector<secret_part> parts;
    memscan::scan_result scan;
    std::vector<memscan::hit> hits;
    std::vector<memscan::partial> partials;
    int status = 0;
    std::string stderr_text;
    std::string output_problem; // empty when the program's output checked out
};

// Scan options that keep the pages, to search for a key learnt later.
[[nodiscard]] memscan::options keep_pages();
// Fill run.hits and run.partials from run.scan's kept pages.
void search(frozen_run& run);
// Pages that refused the read, not counting [vvar] and its kind.
[[nodiscard]] std::size_t unreadable_outside_vdso(const memscan::scan_result& r);
// One line per run in the test log: what the scan measured, and each copy.
void log_scan(const frozen_run& run);

// Without protection the key is in ordinary memory: every secret number
// must be found, in one byte order or the other.
void expect_found(const frozen_run& run);
// Under the preload (in `mode`): no readable page holds any of it, the
// secret heap was used, OpenSSL's heaps were secret, and their pages are
// among those the scan could not read.
void expect_hidden(const frozen_run& run, const std::string& mode);

} // namespace secretmem::preload_test
