// SPDX-License-Identifier: MIT
// What the kernel says about its direct map and secret memory: /proc/vmstat
// and /proc/meminfo snapshots, and the secret-page pool's drain knob.
//
// Every counter is optional: a stock kernel, a kernel built without
// CONFIG_VM_EVENT_COUNTERS / CONFIG_DEBUG_TLBFLUSH, or one without the pool
// lacks some of them, and the benchmarks report what exists.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace secretmem::counters {

// A /proc file of "name value [unit]" lines (vmstat, meminfo, status):
// name -> value, a trailing ':' on the name dropped.
[[nodiscard]] std::map<std::string, std::int64_t> read_table(const char* path);

struct snapshot {
    std::map<std::string, std::int64_t> vmstat;  // /proc/vmstat: name value
    std::map<std::string, std::int64_t> meminfo; // /proc/meminfo: name (no colon) -> kB

    [[nodiscard]] static snapshot take();

    [[nodiscard]] std::optional<std::int64_t> event(const std::string& name) const;
    [[nodiscard]] std::optional<std::int64_t> kb(const std::string& name) const;
};

// later.event(name) - earlier.event(name), when both have it.
[[nodiscard]] std::optional<std::int64_t> delta(const snapshot& earlier, const snapshot& later,
                                                const std::string& name);

// The pool's drain knob, /proc/sys/vm/secret_map_pool_drain.
[[nodiscard]] bool pool_drain_available();
// Returns every wholly free chunk to the direct map and the page allocator.
// Returns false when the knob is absent; throws std::system_error when the
// write fails.
bool drain_pool();

// The vmstat events the direct-map benchmark reports.
inline constexpr const char* split_events[] = {"direct_map_level2_splits",
                                               "direct_map_level3_splits"};
inline constexpr const char* tlb_events[] = {"nr_tlb_remote_flush", "nr_tlb_remote_flush_received",
                                             "nr_tlb_local_flush_all", "nr_tlb_local_flush_one"};
inline constexpr const char* secret_events[] = {"secret_chunk_alloc", "secret_chunk_free",
                                                "secret_page_fallback", "secret_tlb_flush",
                                                "secret_page_zeroed"};

} // namespace secretmem::counters
