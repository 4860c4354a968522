// SPDX-License-Identifier: MIT
// How the commands show amounts of memory to a person.
#pragma once

#include <cstdint>
#include <string>

namespace secretmem::cli {

// "512 bytes", "8 MiB", "1.5 MiB": exact below 1 KiB and at whole units,
// one decimal otherwise.
[[nodiscard]] std::string format_bytes(std::uint64_t n);

} // namespace secretmem::cli
