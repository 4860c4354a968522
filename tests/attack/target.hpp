// SPDX-License-Identifier: MIT
// The memory an attack is aimed at: ordinary anonymous memory (the control,
// where every attack must work, or the attack itself is broken) or one of the
// kernel's secret-memory backends.
#pragma once

#include <secretmem/backend.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace secretmem::attack {

struct target {
    std::string name;
    // Empty for the control, which uses plain mmap().
    std::optional<backend_kind> backend;

    [[nodiscard]] bool is_control() const noexcept { return !backend; }
    // Why this kernel cannot provide it, or empty when it can.
    [[nodiscard]] std::string unavailable() const;
};

// page-aligned memory of one target, filled with a pattern; unmapped on
// destruction.
class mapping {
public:
    mapping(const target& t, std::size_t length); // throws std::system_error
    mapping(const mapping&) = delete;
    mapping& operator=(const mapping&) = delete;
    mapping(mapping&&) = delete;
    mapping& operator=(mapping&&) = delete;
    ~mapping();

    [[nodiscard]] std::byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return length_; }

private:
    std::byte* data_ = nullptr;
    std::size_t length_;
};

// The bytes every target is filled with: a random token, repeated, so that
// finding it in a core file or a pipe means the secret leaked.
// Created on first use, or taken from this environment variable.
inline constexpr const char* token_variable = "SECRETMEM_ATTACK_TOKEN";
[[nodiscard]] const std::string& pattern_token();
void fill_pattern(std::byte* p, std::size_t length);
[[nodiscard]] bool has_pattern(const std::byte* p, std::size_t length);
[[nodiscard]] bool all_zero(const std::byte* p, std::size_t length);

} // namespace secretmem::attack
