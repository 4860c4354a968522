// SPDX-License-Identifier: MIT
// Each attack tries to read or change a target's bytes by one kernel path.
#pragma once

#include "target.hpp"

#include <string>
#include <vector>

namespace secretmem::attack {

struct outcome {
    enum class result { leaked, refused, skipped, broken } what;
    std::string detail; // errno name, "zeros", "no mapping", or why skipped
};

struct context {
    std::string scratch_dir; // a directory on a block-backed file system
};

struct attack {
    const char* name;
    outcome (*run)(const target&, const context&);
};

[[nodiscard]] const std::vector<attack>& all_attacks();

// `secretmem-attack --dump-core KIND`: the clean process whose core file the
// core-dump attack searches.  Maps the target and aborts.
inline constexpr const char* dump_core_flag = "--dump-core";
[[noreturn]] void map_and_dump_core(const target& t);

} // namespace secretmem::attack
