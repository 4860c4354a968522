// SPDX-License-Identifier: MIT
// What jemalloc may and may not do with secret extents.
//
// - alloc: fresh memory from the reservation, always committed and zeroed
//   (a range is handed out once and never comes back).
// - dalloc, decommit, purge (lazy and forced): refused.  Secret memory is
//   not returned to the kernel piecemeal.  memfd_secret pages are shared
//   file pages: MADV_DONTNEED would drop the mapping, not the page nor its
//   contents, so claiming the range was purged or zeroed would be a lie
//   jemalloc acts on (it would hand out "zeroed" memory holding old data).
//   Refused, jemalloc keeps such extents as they are and reuses them.
// - split, merge: allowed; every extent lies in the one reservation.
#include "extent_hooks.hpp"

#include "secret_heap.hpp"

namespace secretmem::heap {
namespace {

void* alloc_extent(extent_hooks_t* /*hooks*/, void* new_addr, std::size_t size,
                   std::size_t alignment, bool* zero, bool* commit, unsigned /*arena*/)
{
    void* extent = take(new_addr, size, alignment);
    if (extent != nullptr) {
        *zero = true;
        *commit = true;
    }
    return extent;
}

bool allow_split(extent_hooks_t* /*hooks*/, void* /*addr*/, std::size_t /*size*/,
                 std::size_t /*size_a*/, std::size_t /*size_b*/, bool /*committed*/,
                 unsigned /*arena*/)
{
    return false; // false: done
}

bool allow_merge(extent_hooks_t* /*hooks*/, void* /*addr_a*/, std::size_t /*size_a*/,
                 void* /*addr_b*/, std::size_t /*size_b*/, bool /*committed*/, unsigned /*arena*/)
{
    return false;
}

// Null members are operations the arena cannot perform.
constinit extent_hooks_t hooks = {
    .alloc = alloc_extent,
    .dalloc = nullptr,
    .destroy = nullptr,
    .commit = nullptr,
    .decommit = nullptr,
    .purge_lazy = nullptr,
    .purge_forced = nullptr,
    .split = allow_split,
    .merge = allow_merge,
};

} // namespace

extent_hooks_t* secret_extent_hooks() noexcept
{
    return &hooks;
}

} // namespace secretmem::heap
