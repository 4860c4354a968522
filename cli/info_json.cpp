// SPDX-License-Identifier: MIT
// secretmem info --json: the same facts for a program.
#include "info.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace secretmem::cli {
namespace {

// Members in the order they are set: the order of the text form.
using json = nlohmann::ordered_json;

json limit(std::uint64_t n)
{
    return n == SECRETMEM_LIMIT_INFINITY ? json("unlimited") : json(n);
}

// Absent is not zero: a count the kernel lacks is null.
json nullable(std::optional<std::int64_t> n)
{
    return n ? json(*n) : json(nullptr);
}

json limits(const info_facts& f)
{
    return {
        {"memlock_soft_bytes", limit(f.probe.memlock_soft)},
        {"memlock_hard_bytes", limit(f.probe.memlock_hard)},
        {"locked_bytes", f.probe.locked_bytes},
        {"cap_ipc_lock", f.probe.ipc_lock_capable != 0},
        {"max_map_count", nullable(f.max_map_count)},
    };
}

json protects(const protections& p)
{
    json what = json::object();
    what["direct_map"] = p.direct_map;
    what["other_processes"] = p.other_processes;
    what["swap"] = p.swap;
    what["core_dump"] = p.core_dump;
    what["on_fork"] = std::string(p.on_fork);
    return what;
}

const char* status_of(const availability& a)
{
    if (!a.usable) {
        return "unusable";
    }
    return a.error != 0 ? "limited" : "available";
}

json backends()
{
    json list = json::array();
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        const availability& a = b.available();
        list.push_back({
            {"name", std::string(to_string(kind))},
            {"mechanism", std::string(b.mechanism())},
            {"status", status_of(a)},
            {"usable", a.usable},
            {"errno", a.error},
            {"reason", a.reason},
            {"degraded", b.degraded()},
            {"protects", protects(b.protects())},
        });
    }
    return list;
}

// Every field named, null where the kernel lacks it.
json meminfo(const counters::snapshot& kernel)
{
    json fields = json::object();
    for (const kernel_field& field : secret_meminfo) {
        fields[std::string(field.name)] = nullable(kernel.kb(std::string(field.name)));
    }
    for (const std::string_view field : direct_map_meminfo) {
        fields[std::string(field)] = nullable(kernel.kb(std::string(field)));
    }
    return fields;
}

json vmstat(const counters::snapshot& kernel)
{
    json fields = json::object();
    for (const char* event : counters::secret_events) {
        fields[event] = nullable(kernel.event(event));
    }
    for (const char* event : counters::split_events) {
        fields[event] = nullable(kernel.event(event));
    }
    return fields;
}

json default_policy(const info_facts& f)
{
    return {
        {"backend",
         f.choice != nullptr ? json(std::string(to_string(f.choice->kind()))) : json(nullptr)},
        {"degraded", f.choice != nullptr && f.choice->degraded()},
        {"degraded_allowed", f.degraded_allowed},
    };
}

} // namespace

void print_info_json(std::ostream& out, const info_facts& facts)
{
    const json info = {
        {"kernel", std::string(facts.probe.kernel_release)},
        {"limits", limits(facts)},
        {"backends", backends()},
        {"meminfo_kB", meminfo(facts.kernel)},
        {"vmstat", vmstat(facts.kernel)},
        {"default_policy", default_policy(facts)},
    };
    // A probe's reason quotes what the kernel said: never let a stray byte
    // that is not UTF-8 throw instead of printing.
    out << info.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

} // namespace secretmem::cli
