// SPDX-License-Identifier: MIT
// A key file read straight into secret memory: open(2) and read(2) into a
// region, with no stdio buffer or other copy on the way.
#pragma once

#include <secretmem/region.hpp>

#include <cstddef>
#include <string>

namespace secretmem::provider {

// Key files larger than this are refused: no private key file is.
inline constexpr std::size_t max_key_file_size = 1 << 20;

struct key_file {
    region contents;    // the file's bytes; null when `error` is set
    std::size_t size{}; // how many of them (the region is page-rounded)
    std::string error;  // why the file could not be read, for a person
    bool no_secret_memory{};
};

[[nodiscard]] key_file read_key_file(const std::string& path);

} // namespace secretmem::provider
