// SPDX-License-Identifier: MIT
// secretmem info as tables, for a person.
#include "format.hpp"
#include "info.hpp"

#include <iomanip>
#include <string>

namespace secretmem::cli {
namespace {

std::string limit(std::uint64_t n)
{
    return n == SECRETMEM_LIMIT_INFINITY ? "unlimited" : format_bytes(n);
}

std::string kb(std::int64_t n)
{
    return format_bytes(static_cast<std::uint64_t>(n) * 1024);
}

// The first column of the lines that are not tables.
constexpr int label_width = 18;

// A left-aligned column of `width` characters.
struct column {
    std::string_view text;
    int width;
};

std::ostream& operator<<(std::ostream& out, const column& c)
{
    return out << std::left << std::setw(c.width) << c.text << std::right;
}

const char* yes_no(bool b)
{
    return b ? "yes" : "NO";
}

void print_limits(std::ostream& out, const info_facts& f)
{
    const secretmem_probe_result& p = f.probe;
    out << column{"kernel", label_width} << p.kernel_release << '\n';
    out << column{"RLIMIT_MEMLOCK", label_width} << "soft " << limit(p.memlock_soft) << ", hard "
        << limit(p.memlock_hard) << "; locked now " << format_bytes(p.locked_bytes)
        << (p.ipc_lock_capable != 0 ? "; CAP_IPC_LOCK: limits do not apply" : "") << '\n';
    out << column{"vm.max_map_count", label_width};
    if (f.max_map_count) {
        out << *f.max_map_count
            << " mappings a process (an SDK region takes 3: its pages and two guards)\n";
    } else {
        out << "unknown (/proc/sys/vm/max_map_count unreadable)\n";
    }
    out << '\n';
}

void print_backends(std::ostream& out)
{
    out << column{"backend", 9} << column{"mechanism", 19} << column{"status", 11} << "why\n";
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        const availability& a = b.available();
        std::string why = a.usable && a.error == 0 ? "" : a.reason;
        if (b.degraded()) {
            why += std::string(why.empty() ? "" : "; ") +
                   "DEGRADED: still in the direct map, used only if allowed";
        }
        out << column{to_string(kind), 9} << column{b.mechanism(), 19};
        if (why.empty()) {
            out << status_word(a) << '\n';
        } else {
            out << column{status_word(a), 11} << why << '\n';
        }
    }
    out << '\n';
}

void print_protections(std::ostream& out)
{
    const backend& n = backend_for(backend_kind::native);
    const backend& f = backend_for(backend_kind::fd);
    const backend& l = backend_for(backend_kind::locked);
    const auto row = [&](std::string_view what, bool protections::*field) {
        out << column{what, 41} << column{yes_no(n.protects().*field), 9}
            << column{yes_no(f.protects().*field), 9} << yes_no(l.protects().*field) << '\n';
    };
    out << column{"protected against", 41} << column{"native", 9} << column{"fd", 9} << "locked\n";
    row("kernel reads through the direct map", &protections::direct_map);
    row("ptrace, /proc/PID/mem, process_vm_readv", &protections::other_processes);
    row("swap", &protections::swap);
    row("core dumps", &protections::core_dump);
    out << "after fork, the child has:\n";
    for (const backend* b : {&n, &f, &l}) {
        out << "  " << column{to_string(b->kind()), 9} << b->protects().on_fork << '\n';
    }
    out << '\n';
}

// Absent counters are said to be absent: a zero would claim the kernel
// counted and found none.
void print_secret_counters(std::ostream& out, const counters::snapshot& kernel)
{
    bool any = false;
    for (const kernel_field& field : secret_meminfo) {
        if (const auto value = kernel.kb(std::string(field.name))) {
            if (!any) {
                out << "secret memory now (/proc/meminfo)\n";
            }
            any = true;
            out << "  " << column{field.name, 22} << column{kb(*value), 12} << field.meaning
                << '\n';
        }
    }
    if (!any) {
        out << "secret memory now: not counted by this kernel (no SecretMap or SecretPool in\n"
               "  /proc/meminfo: the secretmem series is not in it)\n";
    }
    any = false;
    for (const char* event : counters::secret_events) {
        if (const auto value = kernel.event(event)) {
            if (!any) {
                out << "secret memory events since boot (/proc/vmstat)\n";
            }
            any = true;
            out << "  " << column{event, 22} << column{std::to_string(*value), 12}
                << secret_event_meaning(event) << '\n';
        }
    }
    if (!any) {
        out << "secret memory events: not counted by this kernel (no secret_* counters in\n"
               "  /proc/vmstat: the secretmem series is not in it)\n";
    }
    out << '\n';
}

void print_direct_map(std::ostream& out, const counters::snapshot& kernel)
{
    std::string sizes;
    for (const std::string_view field : direct_map_meminfo) {
        if (const auto value = kernel.kb(std::string(field))) {
            sizes += (sizes.empty() ? "" : ", ") + std::string(field) + " " + kb(*value);
        }
    }
    std::string splits;
    for (const char* event : counters::split_events) {
        if (const auto value = kernel.event(event)) {
            splits +=
                (splits.empty() ? "" : ", ") + std::string(event) + " " + std::to_string(*value);
        }
    }
    out << column{"direct map", label_width}
        << (sizes.empty() ? "page sizes not in /proc/meminfo" : sizes) << '\n'
        << column{"", label_width}
        << (splits.empty() ? "splits not counted by this kernel" : splits + " since boot")
        << "\n\n";
}

} // namespace

void print_info_text(std::ostream& out, const info_facts& facts)
{
    print_limits(out, facts);
    print_backends(out);
    print_protections(out);
    print_secret_counters(out, facts.kernel);
    print_direct_map(out, facts.kernel);
    if (facts.choice == nullptr) {
        out << "default policy: refuses to hand out secret memory (no backend qualifies)\n";
        return;
    }
    out << "default policy: " << to_string(facts.choice->kind()) << " ("
        << facts.choice->mechanism() << ")"
        << (facts.choice->degraded() ? ", DEGRADED: allowed by SECRETMEM_ALLOW_DEGRADED=1" : "")
        << '\n';
}

} // namespace secretmem::cli
