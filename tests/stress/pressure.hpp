// SPDX-License-Identifier: MIT
// The background the stress runs against: memory pressure, so that reclaim
// and the pool's shrinker run, and compaction, so that pages are migrated
// around the secret ones (which it must leave where they are).
#pragma once

#include <atomic>
#include <cstdint>

namespace secretmem::stress {

struct pressure_tallies {
    std::atomic<std::uint64_t> mib_touched{};
    std::atomic<std::uint64_t> compactions{}; // writes to /proc/sys/vm/compact_memory
    std::atomic<std::uint64_t> slab_drops{};  // drop_caches=2: every shrinker, the pool's too
    std::atomic<std::uint64_t> pool_drains{}; // /proc/sys/vm/secret_map_pool_drain
    std::atomic<std::uint64_t> refused{};     // writes or mappings that failed
};

// In a forked child, until it is killed: takes and touches up to `percent`
// of MemAvailable in plain memory and lets it go, over and over, and every
// few hundred milliseconds compacts, drops the slab caches or drains the
// pool.
[[noreturn]] void run_pressure(pressure_tallies& counts, unsigned percent, std::uint64_t seed);

// A value from /proc/meminfo in KiB ("MemAvailable"), or 0.
[[nodiscard]] std::uint64_t meminfo_kib(const char* field);

} // namespace secretmem::stress
