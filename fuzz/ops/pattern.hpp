// SPDX-License-Identifier: MIT
// Contents the fuzzer writes and expects back: byte i of a block filled
// with `seed` is a function of both, so a block that lost, moved or mixed
// bytes (with its neighbour's, or a previous owner's) reads back wrong, and
// a block needs no shadow copy.
#pragma once

#include <cstddef>
#include <cstdint>

// The fuzzer's own checking loops, over megabytes per input: without
// coverage (each byte compared would be a feature to libFuzzer, and its
// tracing most of the run time), without ASan (it knows nothing of secret
// memory, which its allocator never hands out) and without UBSan's checks,
// which keep the loops from being vectorized.  What they call
// must be built the same way to be inlined; std::byte's operators are not,
// hence unsigned char.  Not inlined themselves, or the caller's
// instrumentation would cover them again.
#define FUZZ_UNINSTRUMENTED __attribute__((no_sanitize("coverage", "address", "undefined")))

namespace secretmem::fuzz {

[[nodiscard]] FUZZ_UNINSTRUMENTED inline unsigned char pattern_value(std::uint32_t seed,
                                                                     std::size_t i) noexcept
{
    const std::uint32_t x = static_cast<std::uint32_t>(i) * 0x9E3779B1U + seed * 0x85EBCA77U;
    return static_cast<unsigned char>((x >> 24U) ^ (x >> 9U));
}

[[nodiscard]] inline std::byte pattern_byte(std::uint32_t seed, std::size_t i) noexcept
{
    return static_cast<std::byte>(pattern_value(seed, i));
}

[[gnu::noinline]] FUZZ_UNINSTRUMENTED inline void
fill_pattern(std::byte* p, std::uint32_t seed, std::size_t from, std::size_t to) noexcept
{
    auto* bytes = reinterpret_cast<unsigned char*>(p);
    for (std::size_t i = from; i < to; ++i)
        bytes[i] = pattern_value(seed, i);
}

// Whole chunks without an early exit, so that the loops vectorize.
inline constexpr std::size_t check_chunk = 256;

// The first index in [from, to) that does not hold the pattern, or `to`.
[[nodiscard, gnu::noinline]] FUZZ_UNINSTRUMENTED inline std::size_t
pattern_mismatch(const std::byte* p, std::uint32_t seed, std::size_t from, std::size_t to) noexcept
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    for (std::size_t start = from; start < to; start += check_chunk) {
        const std::size_t end = to - start < check_chunk ? to : start + check_chunk;
        unsigned diff = 0;
        for (std::size_t i = start; i < end; ++i)
            diff |= bytes[i] ^ pattern_value(seed, i);
        if (diff == 0)
            continue;
        for (std::size_t i = start; i < end; ++i) {
            if (bytes[i] != pattern_value(seed, i))
                return i;
        }
    }
    return to;
}

// The first non-zero index in [from, to), or `to`.
[[nodiscard, gnu::noinline]] FUZZ_UNINSTRUMENTED inline std::size_t
nonzero_at(const std::byte* p, std::size_t from, std::size_t to) noexcept
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    for (std::size_t start = from; start < to; start += check_chunk) {
        const std::size_t end = to - start < check_chunk ? to : start + check_chunk;
        unsigned any = 0;
        for (std::size_t i = start; i < end; ++i)
            any |= bytes[i];
        if (any == 0)
            continue;
        for (std::size_t i = start; i < end; ++i) {
            if (bytes[i] != 0)
                return i;
        }
    }
    return to;
}

} // namespace secretmem::fuzz
