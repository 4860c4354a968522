// secret-bench: MAP_SECRET and PROT_SECRET against memfd_secret, plain and
// mlock'd anonymous memory, in one process (issue 4's benchmarks).
//
//   secret-bench [--smoke] [Google Benchmark flags]
//
// --smoke runs every benchmark once at small sizes: a check that they still
// run, not a measurement.  A variant the kernel does not offer is left out,
// with a note on stderr; with SECRETMEM_REQUIRE_NATIVE=1 a missing
// MAP_SECRET is an error instead.  Exit status 1 if any benchmark failed.
// Meant to run as root in the VM on the patched kernel (bench/run-bench.sh).
#include "backends.hpp"
#include "benchmarks.hpp"
#include "kernel_counters.hpp"

#include "command_line.hpp"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <vector>

namespace {

namespace counters = secretmem::counters;

std::string first_line(const char* path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line.empty() ? "n/a" : line;
}

// What the summary needs to describe the kernel the numbers come from.
void describe_kernel(const bench::options& opts, const std::string& memlock_limit)
{
    utsname u{};
    if (uname(&u) == 0) {
        benchmark::AddCustomContext("kernel_release", u.release);
        benchmark::AddCustomContext("kernel_version", u.version);
    }
    benchmark::AddCustomContext("mode", opts.smoke ? "smoke" : "full");
    benchmark::AddCustomContext("memlock_limit", memlock_limit);
    const char* vm_kernel = std::getenv("VM_KERNEL");
    benchmark::AddCustomContext("vm_kernel",
                                vm_kernel != nullptr ? vm_kernel : "none (not in the VM)");
    benchmark::AddCustomContext("thp_enabled",
                                first_line("/sys/kernel/mm/transparent_hugepage/enabled"));
    benchmark::AddCustomContext("pool_drain_knob", counters::pool_drain_available() ? "yes" : "no");

    const counters::snapshot now = counters::snapshot::take();
    std::string present;
    std::string absent;
    auto note = [&](std::string_view name, bool there) {
        std::string& list = there ? present : absent;
        list += (list.empty() ? "" : " ") + std::string(name);
    };
    for (const char* e : counters::split_events) {
        note(e, now.event(e).has_value());
    }
    for (const char* e : counters::tlb_events) {
        note(e, now.event(e).has_value());
    }
    for (const char* e : counters::secret_events) {
        note(e, now.event(e).has_value());
    }
    for (const char* field : {"SecretMap", "SecretPool"}) {
        note(field, now.kb(field).has_value());
    }
    benchmark::AddCustomContext("counters_present", present);
    benchmark::AddCustomContext("counters_absent", absent);
    for (const char* field : {"MemTotal", "DirectMap4k", "DirectMap2M", "DirectMap1G"}) {
        if (auto kb = now.kb(field)) {
            benchmark::AddCustomContext(std::string(field) + "_kB_at_start", std::to_string(*kb));
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    bench::options opts;
    const std::optional<bool> smoke = bench_cli::smoke_flag(argc, argv);
    if (!smoke) {
        return 2;
    }
    opts.smoke = *smoke;

    const std::string memlock_limit = bench_cli::raise_memlock_limit();
    const char* require = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    const bool require_native = require != nullptr && std::string_view(require) == "1";
    std::vector<bench::variant> variants;
    bool missing_required = false;
    for (bench::variant v : bench::all_variants) {
        std::string why = bench::unavailable_reason(v);
        if (why.empty()) {
            variants.push_back(v);
            continue;
        }
        const bool native = v == bench::variant::map_secret || v == bench::variant::prot_secret;
        missing_required = missing_required || (native && require_native);
        std::fprintf(stderr, "secret-bench: %s left out: %s\n", std::string(bench::name(v)).c_str(),
                     why.c_str());
    }
    if (missing_required) {
        std::fprintf(stderr, "secret-bench: SECRETMEM_REQUIRE_NATIVE=1 but this kernel lacks "
                             "MAP_SECRET: is this the patched kernel?\n");
        return 1;
    }

    describe_kernel(opts, memlock_limit);
    bench::register_benchmarks(opts, variants);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (bench::any_failed()) {
        std::fprintf(stderr, "secret-bench: some benchmarks failed (see their error above)\n");
        return 1;
    }
    return 0;
}
