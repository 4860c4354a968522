// SPDX-License-Identifier: MIT
// What the stress did, counted by every worker process into one shared page,
// so that the supervisor can report totals: a stress run that cannot say how
// much it exercised proves nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secretmem::stress {

enum class op : std::uint8_t {
    map_secret, // mmap(MAP_SECRET), sometimes MAP_POPULATE
    convert,    // mmap plain, fill, mprotect(PROT_SECRET): contents kept
    touch,      // write whole pages
    verify,     // read back every page
    protect,    // mprotect(PROT_READ) then back: still secret (sticky)
    grow,       // mremap to a larger size, moving if it must
    shrink,     // mremap to a smaller size
    move,       // mremap(MREMAP_FIXED) onto a placeholder
    dontneed,   // madvise(MADV_DONTNEED): reads back as zeroes
    free_pages, // madvise(MADV_FREE): reads back as zeroes
    pageout,    // madvise(MADV_PAGEOUT): refused, contents kept
    cold,       // madvise(MADV_COLD): refused, contents kept
    lock,       // mlock
    unlock,     // munlock: secret memory stays locked
    punch,      // munmap of a page in the middle: the VMA splits
    unmap,      // munmap of the whole range
    fork_child, // fork: the child sees the range wiped, then exits
    fork_kept,  // fork after MADV_KEEPONFORK: the child sees a copy, its own
    race,       // a racer faults on a range others may unmap; refused: it recovered
    count_,
};

inline constexpr std::size_t op_count = static_cast<std::size_t>(op::count_);

[[nodiscard]] std::string_view name(op o);

// One worker process's tallies. Lock-free atomics, so a shared anonymous
// page can hold them across fork().
struct tallies {
    std::array<std::atomic<std::uint64_t>, op_count> done{};
    std::array<std::atomic<std::uint64_t>, op_count> refused{};
    std::atomic<std::uint64_t> pages_verified{};

    void count(op o, bool ok)
    {
        auto& slot = ok ? done : refused;
        slot[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
    }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

} // namespace secretmem::stress
