// SPDX-License-Identifier: MIT
// The way secret memory reaches a forked child.  Secret memory does not
// cross fork (MAP_SECRET ranges are wiped, memfd_secret ones are not
// inherited), so the parent streams it to the child through a small shared
// buffer, one piece at a time, each acknowledged over a pipe: the copy never
// needs more than one extra buffer of locked memory, and a child that dies
// mid-way cannot hang its parent.  The buffer is memfd_secret memory, so
// the bytes never pass through the direct map, unless everything copied is
// degraded memory already (then locked shared memory, as well protected).
//
// One fork at a time: the calls run inside fork's handlers, serialized by
// the registry's lock (fork_inheritance.cpp).  None allocates or throws.
#pragma once

#include <cstddef>

namespace secretmem::fork_channel {

// Before fork, in the parent: set up the buffer and the pipes.  False if it
// could not; nothing is left behind then.
[[nodiscard]] bool open(bool secret_buffer) noexcept;

// Whether open() succeeded and the channel has not broken since.
[[nodiscard]] bool ready() noexcept;

// After fork, in the parent: send [base, base + length).  False once the
// child has gone away or the channel broke; later calls then do nothing.
bool send(const std::byte* base, std::size_t length) noexcept;

// After fork, in the child: receive the span the parent sent for
// [base, base + length).  False if the channel was not set up or broke.
[[nodiscard]] bool receive(std::byte* base, std::size_t length) noexcept;

// On either side, once every span is through: release the buffer and pipes.
void close() noexcept;

} // namespace secretmem::fork_channel
