// SPDX-License-Identifier: MIT
// secretmem info: what this kernel offers for secret memory, gathered once
// and shown as text or as JSON.
#pragma once

#include "kernel_counters.hpp"

#include <secretmem/backend.hpp>
#include <secretmem/probe.h>

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace secretmem::cli {

struct info_facts {
    secretmem_probe_result probe{};
    std::optional<std::int64_t> max_map_count; // vm.max_map_count
    counters::snapshot kernel;
    bool degraded_allowed = false;   // SECRETMEM_ALLOW_DEGRADED=1
    const backend* choice = nullptr; // the default policy's pick; null: it refuses
};

// Throws secretmem::error for a SECRETMEM_ALLOW_DEGRADED it does not know.
[[nodiscard]] info_facts gather_info();

// "yes", "limited" (a resource limit stops it now) or "NO".
[[nodiscard]] std::string_view status_word(const availability& a);

// What the secretmem kernel series counts (Documentation/admin-guide/mm/
// secret_map.rst); a stock kernel has none of it.
struct kernel_field {
    std::string_view name;
    std::string_view meaning;
};
inline constexpr std::array<kernel_field, 2> secret_meminfo{{
    {"SecretMap", "secret pages in use"},
    {"SecretPool", "free pages the pool holds out of the direct map"},
}};
// The meaning of one of counters::secret_events, for a person.
[[nodiscard]] std::string_view secret_event_meaning(std::string_view event);
// The direct map's page sizes, in /proc/meminfo.
inline constexpr std::array<std::string_view, 3> direct_map_meminfo{"DirectMap4k", "DirectMap2M",
                                                                    "DirectMap1G"};

void print_info_text(std::ostream& out, const info_facts& facts);
void print_info_json(std::ostream& out, const info_facts& facts);

} // namespace secretmem::cli
