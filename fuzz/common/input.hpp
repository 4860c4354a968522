// SPDX-License-Identifier: MIT
// The fuzzer's input read front to back; past its end every read is 0, so
// a truncated input is still a valid one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace secretmem::fuzz {

class input {
public:
    explicit input(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

    [[nodiscard]] bool empty() const noexcept { return offset_ >= bytes_.size(); }

    [[nodiscard]] std::uint8_t byte() noexcept
    {
        return offset_ < bytes_.size() ? bytes_[offset_++] : 0;
    }

    // Little-endian.
    [[nodiscard]] std::uint16_t u16() noexcept
    {
        const std::uint8_t low = byte();
        return static_cast<std::uint16_t>(low | (byte() << 8));
    }

    // What is left, consumed.
    [[nodiscard]] std::span<const std::uint8_t> rest() noexcept
    {
        const std::span<const std::uint8_t> r =
            offset_ < bytes_.size() ? bytes_.subspan(offset_) : std::span<const std::uint8_t>{};
        offset_ = bytes_.size();
        return r;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
};

} // namespace secretmem::fuzz
