// SPDX-License-Identifier: MIT
// The private jemalloc copy (allocator/jemalloc/privatize.sh): the public
// jemalloc API under the sm_je_ prefix.  Types and MALLOCX_* flags come
// from Debian's header; the unprefixed functions it declares are never
// linked, so calling one by mistake fails at link time.
#pragma once

#include <jemalloc/jemalloc.h>

#include <cstddef>

extern "C" {
void* sm_je_mallocx(std::size_t size, int flags);
std::size_t sm_je_xallocx(void* ptr, std::size_t size, std::size_t extra, int flags);
std::size_t sm_je_sallocx(const void* ptr, int flags);
void sm_je_sdallocx(void* ptr, std::size_t size, int flags);
std::size_t sm_je_nallocx(std::size_t size, int flags);
int sm_je_mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                  std::size_t newlen);
}

namespace secretmem::heap {

// jemalloc 5.3's arena_config_t (include/jemalloc/internal/arena_types.h),
// the argument of experimental.arenas_create_ext; the public header does
// not declare it.  metadata_use_hooks = false keeps jemalloc's bookkeeping
// for the arena in ordinary memory rather than in the secret extents.
struct jemalloc_arena_config {
    extent_hooks_t* extent_hooks;
    bool metadata_use_hooks;
};

// mallctl() for a value of type T: 0 or jemalloc's errno.
template <typename T>
int mallctl_read(const char* name, T& value)
{
    std::size_t length = sizeof(T);
    return sm_je_mallctl(name, &value, &length, nullptr, 0);
}

template <typename T>
int mallctl_write(const char* name, T value)
{
    return sm_je_mallctl(name, nullptr, nullptr, &value, sizeof(T));
}

} // namespace secretmem::heap
