// SPDX-License-Identifier: MIT
// The address range the secret heap lives in: one PROT_NONE reservation,
// mapped with secret memory from its start as the heap grows and never
// given back.  Nothing else is ever placed inside it, which is what makes
// owns() exact; and since a range is handed out only once, everything
// take() returns is fresh, zeroed memory.
#pragma once

#include <secretmem/backend.hpp>
#include <secretmem/policy.hpp>

#include <cstddef>
#include <cstdint>

namespace secretmem::heap {

// Memory is mapped in steps of this size: whole 2 MiB chunks, which is what
// the kernel's secret pool hands out without splitting the direct map.
inline constexpr std::size_t map_step = std::size_t{2} << 20;

// Reserve the address space and map the first step with the best backend
// the policy accepts; every later step uses that same backend.  Throws
// secretmem::error naming each backend tried and why it failed.
void reserve(const policy& p);

// `size` bytes aligned to `alignment`, at `at` when it is not null (only
// where the heap's free space begins).  Null when the backend cannot map
// more (the memlock limit, usually): last_error() says so.  Safe to call
// with jemalloc's locks held: it neither allocates nor throws.
[[nodiscard]] void* take(void* at, std::size_t size, std::size_t alignment) noexcept;

[[nodiscard]] bool owns(const void* p) noexcept;
[[nodiscard]] std::uint64_t mapped_bytes() noexcept;
// Null before reserve() succeeded.
[[nodiscard]] const backend* chosen_backend() noexcept;

// Why the heap could not start or grow, or null.
[[nodiscard]] const char* last_error() noexcept;
void set_start_error(const char* message) noexcept;

// What a forked child gets of the heap: a copy (the default) or, after
// set_copy_on_fork(false), fresh secret memory that reads as zeros; either
// way the child can allocate and free.
void set_copy_on_fork(bool copy) noexcept;
void take_part_in_fork() noexcept;

} // namespace secretmem::heap
