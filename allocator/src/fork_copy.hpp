// SPDX-License-Identifier: MIT
// Copying the secret heap into a forked child.  Secret memory does not
// cross fork (MAP_SECRET ranges are wiped, memfd_secret ones are not
// inherited), so the parent streams the heap to the child through a small
// shared secret buffer, one piece at a time, each acknowledged over a pipe:
// the copy never needs more than one extra buffer of locked memory, and a
// child that dies mid-way cannot hang its parent.
#pragma once

#include <secretmem/backend.hpp>

#include <cstddef>

namespace secretmem::heap::fork_copy {

// Before fork, in the parent: set up the buffer and the pipes.  False if
// it could not; nothing is left behind then.
[[nodiscard]] bool prepare(const backend& heap_backend) noexcept;

// After fork, in the parent: send [base, base + length), then tear down.
void send(const std::byte* base, std::size_t length) noexcept;

// After fork, in the child: receive into [base, base + length).  False if
// the parent's channel was not set up or broke.
[[nodiscard]] bool receive(std::byte* base, std::size_t length) noexcept;

} // namespace secretmem::heap::fork_copy
