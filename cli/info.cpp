// SPDX-License-Identifier: MIT
// secretmem info: the command, and the facts both of its forms show.
#include "info.hpp"

#include "commands.hpp"

#include <secretmem/error.hpp>
#include <secretmem/policy.hpp>

#include <fstream>
#include <iostream>

namespace secretmem::cli {
namespace {

constexpr const char* help_text =
    "usage: secretmem info [--json]\n"
    "\n"
    "Probe the running kernel (by trying each interface on a scratch page) and print:\n"
    "  - the kernel release and the limits secret memory meets: RLIMIT_MEMLOCK, which\n"
    "    it is charged to, and vm.max_map_count;\n"
    "  - each backend, best first, whether it is usable and why not;\n"
    "  - what memory from each backend is protected against;\n"
    "  - the secret memory in use and the pool's events (SecretMap and SecretPool in\n"
    "    /proc/meminfo, secret_* in /proc/vmstat), on a kernel with the secretmem\n"
    "    series; a stock kernel has none of them, and info says so;\n"
    "  - the direct map's page sizes and splits;\n"
    "  - which backend the default (fail-closed) policy picks.\n"
    "\n"
    "  --json     the same as one JSON object; a count the kernel lacks is null\n"
    "  -h, --help this text\n"
    "\n"
    "exit status: 0 a backend that removes memory from the direct map is usable,\n"
    "             1 none is (the default policy would refuse to hand out secrets),\n"
    "             2 bad arguments\n";

std::optional<std::int64_t> read_number(const char* path)
{
    std::ifstream in(path);
    std::int64_t value = 0;
    if (!(in >> value)) {
        return std::nullopt;
    }
    return value;
}

// The backend the default policy would pick, judged by availability alone.
const backend* default_choice(bool degraded_ok)
{
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        if (b.available().usable && (!b.degraded() || degraded_ok)) {
            return &b;
        }
    }
    return nullptr;
}

} // namespace

std::string_view status_word(const availability& a)
{
    if (!a.usable) {
        return "NO";
    }
    return a.error != 0 ? "limited" : "yes";
}

std::string_view secret_event_meaning(std::string_view event)
{
    if (event == "secret_chunk_alloc") {
        return "2 MiB chunks taken out of the direct map";
    }
    if (event == "secret_chunk_free") {
        return "2 MiB chunks given back to the direct map";
    }
    if (event == "secret_page_fallback") {
        return "4 KiB pages taken out on their own (no chunk to take from)";
    }
    if (event == "secret_tlb_flush") {
        return "kernel TLB flushes issued for secret memory";
    }
    if (event == "secret_page_zeroed") {
        return "freed secret pages zeroed";
    }
    return "";
}

info_facts gather_info()
{
    info_facts facts;
    (void)secretmem_probe(&facts.probe);
    facts.max_map_count = read_number("/proc/sys/vm/max_map_count");
    facts.kernel = counters::snapshot::take();
    facts.degraded_allowed = allows_degraded(policy{});
    facts.choice = default_choice(facts.degraded_allowed);
    return facts;
}

int info(std::span<const std::string_view> args)
{
    bool json = false;
    for (const std::string_view arg : args) {
        if (arg == "--help" || arg == "-h") {
            std::cout << help_text;
            return ok;
        }
        if (arg != "--json") {
            std::cerr << "secretmem info: unknown argument '" << arg << "'\n\n" << help_text;
            return usage;
        }
        json = true;
    }
    info_facts facts;
    try {
        facts = gather_info();
    } catch (const error& e) {
        std::cerr << "secretmem info: " << e.what() << '\n';
        return failure;
    }
    if (json) {
        print_info_json(std::cout, facts);
    } else {
        print_info_text(std::cout, facts);
    }
    return facts.choice != nullptr && !facts.choice->degraded() ? ok : failure;
}

} // namespace secretmem::cli
