// SPDX-License-Identifier: MIT
#pragma once

#include <secretmem/backend.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace secretmem::detail {

// Why `b` could not map `length` bytes, and what to do: names the memlock
// limit and `ulimit -l` when that is the cause, vm.max_map_count for ENOMEM.
[[nodiscard]] std::string describe_map_failure(const backend& b, int error, std::size_t length);

// "64 KiB", "8 MiB", "unlimited".
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);

} // namespace secretmem::detail
