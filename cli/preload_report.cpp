// SPDX-License-Identifier: MIT
#include "preload_report.hpp"

#include "format.hpp"

#include <secretmem/backend.hpp>

#include <charconv>
#include <limits>
#include <map>

namespace secretmem::cli {
namespace {

constexpr std::string_view prefix = "secretmem-preload: ";

std::map<std::string_view, std::string_view> fields_of(std::string_view text)
{
    std::map<std::string_view, std::string_view> fields;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        const std::string_view token = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
        const std::size_t equals = token.find('=');
        if (equals != std::string_view::npos) {
            fields.emplace(token.substr(0, equals), token.substr(equals + 1));
        }
    }
    return fields;
}

std::optional<std::uint64_t> number(std::string_view text)
{
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

const backend* backend_named(std::string_view name)
{
    for (const backend_kind kind : all_backends) {
        if (to_string(kind) == name) {
            return &backend_for(kind);
        }
    }
    return nullptr;
}

std::string where_kept(const preload_report& r, std::string_view program)
{
    const backend* b = backend_named(r.backend);
    const std::string mechanism =
        b != nullptr ? std::string(b->mechanism()) : "unknown to this CLI";
    const std::string named = r.backend + " (" + mechanism + ")";
    if (r.degraded) {
        return "WARNING: " + std::string(program) + " kept its secrets in DEGRADED memory, " +
               named + ": still in the kernel's direct map (--allow-degraded)";
    }
    // What the heap held, not a claim about every secret the program had:
    // whatever never reached the heap is not covered (the OpenSSL line
    // says what of OpenSSL's was).
    return std::string(program) + "'s secret heap held " + format_bytes(r.mapped) +
           " out of the kernel's direct map, in " + named;
}

std::string how_much(const preload_report& r)
{
    return "  secret memory mapped " + format_bytes(r.mapped) + ", in use at exit " +
           format_bytes(r.allocated) + "; the heap's bookkeeping " + format_bytes(r.metadata) +
           " (ordinary memory); mode " + r.mode;
}

std::string ordinary_heap(const preload_report& r)
{
    if (r.openssl_heap == "secret") {
        return "secret, at most " + format_bytes(r.openssl_heap_peak) + " at once";
    }
    if (r.openssl_heap == "ordinary") {
        return "left in glibc's heap (--openssl=secure-heap)";
    }
    if (r.openssl_heap == "unreached") {
        return "NOT secret: a libcrypto is loaded but none of its allocations reached the shim "
               "(linked statically, or loaded with RTLD_DEEPBIND), so keys it copies there are "
               "readable";
    }
    return r.openssl_heap;
}

std::string openssl_heaps(const preload_report& r)
{
    return "  OpenSSL: secure heap " + std::to_string(r.secure_heap_allocations) +
           " allocations, at most " + format_bytes(r.secure_heap_peak) +
           " at once; ordinary heap " + ordinary_heap(r);
}

// Where OpenSSL's keys were not kept in secret memory, a line that says so
// on its own: the heap's figures above must not read as their protection.
std::optional<std::string> openssl_warning(const preload_report& r, std::string_view program)
{
    if (r.openssl_heap == "unreached") {
        return "  WARNING: " + std::string(program) +
               "'s OpenSSL keys were NOT protected: its libcrypto bypassed the shim";
    }
    if (r.openssl_mem_functions == "refused") {
        return "  " + std::string(program) +
               " asked for its own OpenSSL memory functions (CRYPTO_set_mem_functions): refused, "
               "OpenSSL's heap stayed secret";
    }
    return std::nullopt;
}

} // namespace

std::optional<preload_report> parse_report(std::string_view line)
{
    if (!line.starts_with(prefix)) {
        return std::nullopt;
    }
    const auto fields = fields_of(line.substr(prefix.size()));
    const auto text = [&](std::string_view key) -> std::optional<std::string> {
        const auto it = fields.find(key);
        if (it == fields.end()) {
            return std::nullopt;
        }
        return std::string(it->second);
    };
    const auto count = [&](std::string_view key) -> std::optional<std::uint64_t> {
        const auto it = fields.find(key);
        return it == fields.end() ? std::nullopt : number(it->second);
    };
    const auto mode = text("mode");
    const auto backend = text("backend");
    const auto degraded = text("degraded");
    const auto mapped = count("mapped");
    if (!mode || !backend || !degraded || !mapped || (*degraded != "yes" && *degraded != "no")) {
        return std::nullopt;
    }
    preload_report r;
    r.mode = *mode;
    r.backend = *backend;
    r.degraded = *degraded == "yes";
    r.mapped = *mapped;
    r.allocated = count("allocated").value_or(0);
    r.metadata = count("metadata").value_or(0);
    r.secure_heap_allocations = count("secure_heap_allocs").value_or(0);
    r.secure_heap_peak = count("secure_heap_peak").value_or(0);
    r.openssl_heap = text("openssl_heap").value_or("none");
    r.openssl_heap_peak = count("openssl_heap_peak").value_or(0);
    r.openssl_mem_functions = text("openssl_mem_functions").value_or("ours");
    // A pid that does not fit is no pid: 0, as when there is none.
    const std::uint64_t pid = count("pid").value_or(0);
    r.pid = pid <= std::numeric_limits<std::int32_t>::max() ? static_cast<std::int64_t>(pid) : 0;
    r.comm = text("comm").value_or("");
    return r;
}

std::vector<preload_report> parse_reports(std::string_view text)
{
    std::vector<preload_report> reports;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        if (auto r = parse_report(text.substr(0, end))) {
            reports.push_back(std::move(*r));
        }
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    }
    return reports;
}

std::vector<std::string> describe(const preload_report& report, std::string_view program)
{
    std::vector<std::string> lines;
    if (report.used_secret_memory()) {
        lines.push_back(where_kept(report, program));
        lines.push_back(how_much(report));
    } else if (report.mode == "all") {
        lines.push_back(std::string(program) +
                        " used no secret memory: in mode all, no allocation reached the heap");
    } else {
        lines.push_back(std::string(program) + " used no secret memory: in mode " + report.mode +
                        " only the secretmem API and OpenSSL's heaps are secret, and it used "
                        "neither (--all puts every allocation there)");
    }
    if (report.openssl_heap != "none" || report.secure_heap_allocations > 0) {
        lines.push_back(openssl_heaps(report));
    }
    if (auto warning = openssl_warning(report, program)) {
        lines.push_back(std::move(*warning));
    }
    return lines;
}

} // namespace secretmem::cli
