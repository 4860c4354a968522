// SPDX-License-Identifier: MIT
// secretmem info: what the running kernel offers, as tables.
#include "commands.hpp"

#include <secretmem/error.hpp>
#include <secretmem/policy.hpp>
#include <secretmem/probe.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/mman.h>

namespace secretmem::cli {
namespace {

constexpr const char* help_text =
    "usage: secretmem info\n"
    "\n"
    "Probe the running kernel (by trying each interface on a scratch page) and print:\n"
    "  - the kernel release and the memory-lock limits that secret memory is charged to;\n"
    "  - each backend, best first, whether it is usable and why not;\n"
    "  - what memory from each backend is protected against;\n"
    "  - which backend the default (fail-closed) policy picks.\n"
    "\n"
    "exit codes: 0 a backend that removes memory from the direct map is usable,\n"
    "            1 none is (the default policy would refuse to hand out secrets),\n"
    "            2 bad arguments\n";

std::string bytes(std::uint64_t n)
{
    if (n == SECRETMEM_LIMIT_INFINITY)
        return "unlimited";
    constexpr std::uint64_t mib = std::uint64_t{1024} * 1024;
    if (n % mib == 0 && n > 0)
        return std::to_string(n / mib) + " MiB";
    return std::to_string(n / 1024) + " KiB";
}

const char* yes_no(bool b)
{
    return b ? "yes" : "NO";
}

void print_limits(const secretmem_probe_result& probe)
{
    std::printf("kernel          %s\n", probe.kernel_release);
    std::printf("RLIMIT_MEMLOCK  soft %s, hard %s; locked now %s%s\n\n",
                bytes(probe.memlock_soft).c_str(), bytes(probe.memlock_hard).c_str(),
                bytes(probe.locked_bytes).c_str(),
                probe.ipc_lock_capable != 0 ? "; CAP_IPC_LOCK: limits do not apply" : "");
}

void print_backends()
{
    std::printf("%-8s %-18s %-10s %s\n", "backend", "mechanism", "status", "why");
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        const availability& a = b.available();
        const char* status = !a.usable ? "NO" : a.error != 0 ? "limited" : "yes";
        std::string why = a.usable && a.error == 0 ? "" : a.reason;
        if (b.degraded()) {
            why += std::string(why.empty() ? "" : "; ") +
                   "DEGRADED: still in the direct map, used only if allowed";
        }
        std::printf("%-8s %-18s %-10s %s\n", std::string(to_string(kind)).c_str(),
                    std::string(b.mechanism()).c_str(), status, why.c_str());
    }
    std::printf("\n");
}

void print_protections()
{
    const backend& n = backend_for(backend_kind::native);
    const backend& f = backend_for(backend_kind::fd);
    const backend& l = backend_for(backend_kind::locked);
    const auto row = [&](const char* what, bool protections::*field) {
        std::printf("%-40s %-8s %-8s %-8s\n", what, yes_no(n.protects().*field),
                    yes_no(f.protects().*field), yes_no(l.protects().*field));
    };
    std::printf("%-40s %-8s %-8s %-8s\n", "protected against", "native", "fd", "locked");
    row("kernel reads through the direct map", &protections::direct_map);
    row("ptrace, /proc/PID/mem, process_vm_readv", &protections::other_processes);
    row("swap", &protections::swap);
    row("core dumps", &protections::core_dump);
    std::printf("after fork, the child has:\n");
    for (const backend* b : {&n, &f, &l}) {
        std::printf("  %-8s %s\n", std::string(to_string(b->kind())).c_str(),
                    std::string(b->protects().on_fork).c_str());
    }
    std::printf("\n");
}

// The backend the default policy would pick, judged by availability alone.
const backend* default_choice(bool degraded_ok)
{
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        if (b.available().usable && (!b.degraded() || degraded_ok))
            return &b;
    }
    return nullptr;
}

} // namespace

int info(std::span<const std::string_view> args)
{
    if (!args.empty()) {
        const bool help = args.front() == "--help" || args.front() == "-h";
        std::fputs(help_text, help ? stdout : stderr);
        return help ? ok : usage;
    }
    secretmem_probe_result probe{};
    (void)secretmem_probe(&probe);
    print_limits(probe);
    print_backends();
    print_protections();

    bool degraded_ok = false;
    try {
        degraded_ok = allows_degraded(policy{});
    } catch (const error& e) {
        std::fprintf(stderr, "secretmem: %s\n", e.what());
        return failure;
    }
    const backend* choice = default_choice(degraded_ok);
    if (choice == nullptr) {
        std::printf("default policy: refuses to hand out secret memory (no backend qualifies)\n");
        return failure;
    }
    std::printf("default policy: %s (%s)%s\n", std::string(to_string(choice->kind())).c_str(),
                std::string(choice->mechanism()).c_str(),
                choice->degraded() ? ", DEGRADED: allowed by SECRETMEM_ALLOW_DEGRADED=1" : "");
    return choice->degraded() ? failure : ok;
}

} // namespace secretmem::cli
