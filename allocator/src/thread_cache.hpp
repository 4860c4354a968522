// SPDX-License-Identifier: MIT
// A per-thread cache of freed small blocks in front of jemalloc.
//
// The secret arenas are reached through mallocx() with explicit arena and
// tcache flags, which never takes jemalloc's fast path: measured on this
// machine, an explicit-flags mallocx + sdallocx pair costs about 32 ns
// against 9 ns for jemalloc's own malloc + free, and a secret
// alloc+free (with the wipe) 3x glibc's.  Keys are small and short-lived
// buffers are the common case, so freed blocks of up to max_size bytes
// are kept here, already wiped, and handed out again without a jemalloc
// call.  Only blocks of the secret heap ever enter, so nothing here can
// mix secret and ordinary memory.
#pragma once

#include <cstddef>

namespace secretmem::heap::thread_cache {

inline constexpr std::size_t max_size = 512;

// Read jemalloc's size classes.  Once, before any other call here.
void set_up() noexcept;

// A cached block of at least `size` (<= max_size) bytes, all zero, or null.
[[nodiscard]] void* take(std::size_t size) noexcept;

// Keep `block`, already wiped, whose usable size is `usable`.  False when
// it is too large or this thread's cache for its size is full: the caller
// gives it back to jemalloc.
[[nodiscard]] bool keep(void* block, std::size_t usable) noexcept;

// Give this thread's cached blocks back to jemalloc (at thread exit).
void flush() noexcept;

} // namespace secretmem::heap::thread_cache
