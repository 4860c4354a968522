// alloc-bench: the secretmem allocator against glibc malloc, jemalloc,
// libsodium's sodium_malloc and OpenSSL's secure heap, in one process
// (issue 5's benchmarks).
//
//   alloc-bench [--smoke] [Google Benchmark flags]
//
// --smoke runs every benchmark once, tiny: a check that they still run, not
// a measurement.  An allocator this build or machine lacks is left out, with
// a note on stderr (the secretmem allocator until allocator/ is built).
// With SECRETMEM_REQUIRE_NATIVE=1, a secret heap on any backend but the
// native MAP_SECRET one is an error.  Exit status 1 if any benchmark failed.
// bench/run-bench.sh runs it on the host (throughput and memory, the
// secret heap on memfd_secret) and in the VM on the patched kernel (memory,
// on MAP_SECRET).
#include "alloc_benchmarks.hpp"
#include "allocators.hpp"

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
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* rerun_marker = "ALLOC_BENCH_TLS_RERUN";

// jemalloc's TLS does not fit in the static TLS glibc keeps for dlopen():
// run this program again with glibc told to keep more.  Returns only if
// that could not be done.
void rerun_with_more_static_tls(char** argv)
{
    const char* old = std::getenv("GLIBC_TUNABLES");
    std::string tunables = alloc_bench::tls_tunable();
    if (old != nullptr && *old != '\0') {
        tunables = std::string(old) + ":" + tunables;
    }
    if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0 || setenv(rerun_marker, "1", 1) != 0) {
        return;
    }
    execv("/proc/self/exe", argv);
    std::perror("alloc-bench: execv(/proc/self/exe)");
}

// CAP_IPC_LOCK lets mlock and memfd_secret go past RLIMIT_MEMLOCK.
bool has_cap_ipc_lock()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            constexpr unsigned cap_ipc_lock = 14;
            return ((std::stoull(line.substr(7), nullptr, 16) >> cap_ipc_lock) & 1U) != 0;
        }
    }
    return false;
}

std::string first_line(const char* path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line.empty() ? "n/a" : line;
}

// Starts the secret heap, so that its backend is known before any benchmark
// runs.  Empty when secretmem is not among the allocators.
alloc_bench::heap_figures start_secret_heap(const std::vector<alloc_bench::allocator>& allocators)
{
    for (const alloc_bench::allocator& a : allocators) {
        if (a.name != "secretmem") {
            continue;
        }
        void* p = a.allocate(1);
        alloc_bench::heap_figures f = a.figures();
        if (p == nullptr) {
            std::fprintf(stderr, "alloc-bench: the secret heap did not start: %s\n",
                         f.error.empty() ? "(no reason given)" : f.error.c_str());
            f.backend = "none (did not start)";
        }
        a.release(p);
        return f;
    }
    return {};
}

} // namespace

int main(int argc, char** argv)
{
    std::string jemalloc_error;
    if (!alloc_bench::jemalloc_loadable(jemalloc_error) && std::getenv(rerun_marker) == nullptr) {
        rerun_with_more_static_tls(argv);
    }
    benchmark::Initialize(&argc, argv);
    alloc_bench::options opts;
    const std::optional<bool> smoke = bench_cli::smoke_flag(argc, argv);
    if (!smoke) {
        return 2;
    }
    opts.smoke = *smoke;

    const std::string memlock_limit = bench_cli::raise_memlock_limit();
    std::vector<std::string> missing;
    const std::vector<alloc_bench::allocator> allocators = alloc_bench::set_up(missing);
    std::string left_out;
    for (const std::string& m : missing) {
        std::fprintf(stderr, "alloc-bench: left out: %s\n", m.c_str());
        left_out += (left_out.empty() ? "" : "; ") + m;
    }
    const alloc_bench::heap_figures heap = start_secret_heap(allocators);
    const char* require = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    if (!heap.backend.empty() && require != nullptr && std::string_view(require) == "1" &&
        heap.backend != "native") {
        std::fprintf(stderr,
                     "alloc-bench: SECRETMEM_REQUIRE_NATIVE=1 but the secret heap's backend is "
                     "%s: is this the patched kernel?\n",
                     heap.backend.c_str());
        return 1;
    }

    utsname u{};
    if (uname(&u) == 0) {
        benchmark::AddCustomContext("kernel_release", u.release);
        benchmark::AddCustomContext("kernel_version", u.version);
    }
    const char* vm_kernel = std::getenv("VM_KERNEL");
    benchmark::AddCustomContext("vm_kernel",
                                vm_kernel != nullptr ? vm_kernel : "none (not in the VM)");
    benchmark::AddCustomContext("mode", opts.smoke ? "smoke" : "full");
    benchmark::AddCustomContext("memlock_limit", memlock_limit);
    benchmark::AddCustomContext("cap_ipc_lock", has_cap_ipc_lock() ? "yes" : "no");
    benchmark::AddCustomContext("max_map_count", first_line("/proc/sys/vm/max_map_count"));
    benchmark::AddCustomContext("left_out", left_out.empty() ? "none" : left_out);
    std::string names;
    for (const alloc_bench::allocator& a : allocators) {
        names += (names.empty() ? "" : " ") + std::string(a.name);
    }
    benchmark::AddCustomContext("allocators", names);
    if (!heap.backend.empty()) {
        benchmark::AddCustomContext("secretmem_backend",
                                    heap.backend + (heap.degraded ? " (degraded)" : ""));
    }
    for (const auto& [name, value] : alloc_bench::describe()) {
        benchmark::AddCustomContext(name, value);
    }

    alloc_bench::register_benchmarks(opts, allocators);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (alloc_bench::any_failed()) {
        std::fprintf(stderr, "alloc-bench: some benchmarks failed (see their error above)\n");
        return 1;
    }
    return 0;
}
