// SPDX-License-Identifier: MIT
// Starting the secret heap once per process, and the jemalloc flags each
// thread allocates with: its secret arena and its own explicit thread cache.
#pragma once

namespace secretmem::heap {

// Start the heap if it has not been: reserve, map, create the arenas.
// False if it could not (last_error() says why), or if this thread is the
// one starting it and came back here through malloc.  Cheap once started.
[[nodiscard]] bool ensure_started() noexcept;

// True on the thread that is starting the heap, while it does: a malloc
// made there (by the probe, the policy's messages, jemalloc's setup) must
// be served by something else.
[[nodiscard]] bool starting_on_this_thread() noexcept;

// MALLOCX_ARENA | MALLOCX_TCACHE for this thread.  The cache is the
// thread's own explicit tcache, used for nothing but secret arenas: with
// jemalloc's automatic tcache a secret block could be handed to an
// ordinary allocation, or an ordinary block to a secret one.  Only after
// ensure_started().
[[nodiscard]] int thread_flags() noexcept;

// The secret arenas' indexes, for statistics.
[[nodiscard]] unsigned arena_count() noexcept;
[[nodiscard]] unsigned arena_index(unsigned i) noexcept;

} // namespace secretmem::heap
