#include "alloc_benchmarks.hpp"

#include "registration.hpp"

#include "kernel_counters.hpp"

#include <atomic>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace alloc_bench {

namespace {

namespace counters = secretmem::counters;

constexpr std::size_t secret_size = 32;
constexpr std::size_t batch_size = 1000;
constexpr std::size_t live_target = 1'000'000;
// How far the memory benchmark looks for a bounded allocator's limit, and
// the memory it may take doing so.  sodium_malloc does not always fail at
// vm.max_map_count: when the kernel merges its new mappings with their
// neighbours, its guard-page mprotect() calls fail, unchecked, and it goes
// on at 16 KiB of memory per 32-byte secret.  Without a budget the search took 16 GiB
// before it was stopped by hand.
constexpr std::size_t limit_search_cap = std::size_t{4} << 20;
constexpr std::int64_t limit_search_budget_kb = std::int64_t{1} << 20;
constexpr std::size_t budget_check_every = 4096;
constexpr int rounds = 3;
constexpr double min_time_s = 0.2;

std::atomic<bool> failed{false};

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start)
{
    return std::chrono::duration<double>(steady::now() - start).count();
}

void fail(benchmark::State& state, const allocator& a, std::size_t size, int error)
{
    failed = true;
    std::string why = std::string(a.name) + ": allocating " + std::to_string(size) +
                      " bytes failed (" + std::strerror(error) + ")";
    const std::string said = a.figures().error;
    if (!said.empty()) {
        why += ": " + said;
    }
    state.SkipWithError(why.c_str());
}

// Uses the block, so that the allocation cannot be optimized away and the
// memory is really there.
void write_to(void* p)
{
    static_cast<unsigned char*>(p)[0] = 0x5a;
    benchmark::DoNotOptimize(p);
}

// What the kernel says the process holds.
struct process_figures {
    std::int64_t rss_kb = 0;
    std::int64_t locked_kb = 0;
    std::int64_t mappings = 0;

    static process_figures take()
    {
        process_figures f;
        const auto status = counters::read_table("/proc/self/status");
        if (const auto it = status.find("VmRSS"); it != status.end()) {
            f.rss_kb = it->second;
        }
        if (const auto it = status.find("VmLck"); it != status.end()) {
            f.locked_kb = it->second;
        }
        std::ifstream maps("/proc/self/maps");
        std::string line;
        while (std::getline(maps, line)) {
            ++f.mappings;
        }
        return f;
    }
};

std::int64_t max_map_count()
{
    std::ifstream in("/proc/sys/vm/max_map_count");
    std::int64_t n = 0;
    in >> n;
    return n;
}

void set(benchmark::State& state, const char* name, double value)
{
    state.counters[name] = value;
}

// Resident memory now, from /proc/self/statm: cheap enough to ask often.
std::int64_t resident_kb()
{
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0;
    std::int64_t resident = 0;
    statm >> size >> resident;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Whether a bounded allocator's search may go on: it is checked every
// budget_check_every blocks, and only for those (sodium_malloc can go on
// without failing; the others are not slowed by the check).
bool within_budget(const allocator& a, std::size_t count, std::int64_t rss_before_kb)
{
    return !a.bounded || count % budget_check_every != 0 ||
           resident_kb() - rss_before_kb <= limit_search_budget_kb;
}

// blocks[from, to) filled with written 32-byte secrets, until the
// allocator fails (its errno in `error`) or goes over the memory budget;
// returns where it stopped.
std::size_t fill(const allocator& a, std::vector<void*>& blocks, std::size_t from, std::size_t to,
                 std::int64_t rss_before_kb, int& error, bool& over_budget)
{
    std::size_t i = from;
    for (; i < to; ++i) {
        if (!within_budget(a, i, rss_before_kb)) {
            over_budget = true;
            break;
        }
        errno = 0;
        void* p = a.allocate(secret_size);
        if (p == nullptr) {
            error = errno;
            break;
        }
        std::memset(p, 0x5a, secret_size);
        blocks[i] = p;
    }
    return i;
}

// The memory benchmark: 1,000,000 live 32-byte secrets, each written in
// full, or as many as the allocator gives before it fails.  Timed: the
// allocations up to that point.  Then, for a bounded allocator that has not
// failed yet, on (untimed) to where it fails.  Everything is freed after.
void live(benchmark::State& state, const allocator& a, const options& opts)
{
    const std::size_t target = opts.smoke ? 1000 : live_target;
    const std::size_t cap = !a.bounded ? target : opts.smoke ? 2000 : limit_search_cap;
    std::vector<void*> blocks(cap); // touched now, so that it is not in the figures
    for ([[maybe_unused]] auto _ : state) {
        const process_figures before = process_figures::take();
        const counters::snapshot kernel_before = counters::snapshot::take();
        const heap_figures heap_before = a.figures();
        int error = 0;
        bool over_budget = false;
        const std::int64_t rss_before_kb = resident_kb();
        const auto start = steady::now();
        const std::size_t n = fill(a, blocks, 0, target, rss_before_kb, error, over_budget);
        state.SetIterationTime(seconds_since(start));

        // The figures at the target, or where the allocator failed.
        const process_figures at = process_figures::take();
        const counters::snapshot kernel_at = counters::snapshot::take();
        const heap_figures heap = a.figures();
        set(state, "live", static_cast<double>(n));
        set(state, "target", static_cast<double>(target));
        set(state, "rss_delta_bytes", static_cast<double>((at.rss_kb - before.rss_kb) * 1024));
        set(state, "locked_delta_bytes",
            static_cast<double>((at.locked_kb - before.locked_kb) * 1024));
        set(state, "mappings_delta", static_cast<double>(at.mappings - before.mappings));
        set(state, "mappings", static_cast<double>(at.mappings));
        set(state, "max_map_count", static_cast<double>(max_map_count()));
        if (const auto before_kb = kernel_before.kb("SecretMap"), at_kb = kernel_at.kb("SecretMap");
            before_kb && at_kb) {
            set(state, "SecretMem_delta_kB", static_cast<double>(*at_kb - *before_kb));
        }
        if (heap.secret_bytes) {
            set(state, "secret_bytes", static_cast<double>(*heap.secret_bytes));
            if (heap_before.secret_bytes) {
                set(state, "secret_delta_bytes",
                    static_cast<double>(*heap.secret_bytes - *heap_before.secret_bytes));
            }
        }
        if (heap.metadata_bytes) {
            set(state, "metadata_bytes", static_cast<double>(*heap.metadata_bytes));
        }
        if (!heap.backend.empty()) {
            state.SetLabel("backend=" + heap.backend + (heap.degraded ? " (degraded)" : ""));
            set(state, "degraded", heap.degraded ? 1 : 0);
        }

        std::size_t limit = n;
        if (n == target && a.bounded) {
            limit = fill(a, blocks, n, cap, rss_before_kb, error, over_budget);
        }
        if (over_budget) {
            // Not a failure: the search stopped, and says where.
            set(state, "limit_budget_bytes", static_cast<double>(limit_search_budget_kb * 1024));
            set(state, "mappings_at_budget", static_cast<double>(process_figures::take().mappings));
            set(state, "limit_searched_to", static_cast<double>(limit));
        } else if (limit < cap || n < target) {
            set(state, "limit", static_cast<double>(limit));
            set(state, "limit_errno", error);
            set(state, "mappings_at_limit", static_cast<double>(process_figures::take().mappings));
        }
        if (!over_budget) {
            set(state, "limit_searched_to", static_cast<double>(cap));
        }
        for (std::size_t i = 0; i < limit; ++i) {
            a.release(blocks[i]);
        }
        if (n < target && !a.bounded) {
            fail(state, a, secret_size, error);
        }
    }
}

// Allocate, use, free: the cost of one short-lived secret.
void alloc_free(benchmark::State& state, const allocator& a, std::size_t size)
{
    for ([[maybe_unused]] auto _ : state) {
        void* p = a.allocate(size);
        if (p == nullptr) {
            fail(state, a, size, errno);
            break;
        }
        write_to(p);
        a.release(p);
    }
    state.SetItemsProcessed(state.iterations());
}

// Allocate a batch, then free it in the same order: the allocator cannot
// hand the same block back every time.
void batch(benchmark::State& state, const allocator& a, std::size_t size, std::size_t count)
{
    std::vector<void*> blocks(count);
    for ([[maybe_unused]] auto _ : state) {
        for (std::size_t i = 0; i < count; ++i) {
            void* p = a.allocate(size);
            if (p == nullptr) {
                fail(state, a, size, errno);
                for (std::size_t j = 0; j < i; ++j) {
                    a.release(blocks[j]);
                }
                return;
            }
            write_to(p);
            blocks[i] = p;
        }
        for (void* p : blocks) {
            a.release(p);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}

// fork() of a process holding `size` bytes in the allocator's blocks, the
// child exiting at once: for the secret heap, each child's own copy of the
// whole heap (what a pre-forking server pays per worker); for glibc, a
// plain fork of that much private memory.  secret_MiB: what the secret heap
// holds, all of which is copied.
void fork_holding(benchmark::State& state, const allocator& a, std::size_t size)
{
    constexpr std::size_t block = std::size_t{64} << 10;
    std::vector<void*> blocks;
    for (std::size_t done = 0; done < size; done += block) {
        void* p = a.allocate(block);
        if (p == nullptr) {
            fail(state, a, block, errno);
            break;
        }
        std::memset(p, 0x5a, block);
        blocks.push_back(p);
    }
    if (blocks.size() * block >= size) {
        for ([[maybe_unused]] auto _ : state) {
            const pid_t pid = ::fork();
            if (pid == 0)
                ::_exit(0);
            int status = -1;
            if (pid < 0 || ::waitpid(pid, &status, 0) != pid || status != 0) {
                failed = true;
                state.SkipWithError("the forked child did not exit with status 0");
                break;
            }
        }
        if (const auto held = a.figures().secret_bytes)
            state.counters["secret_MiB"] = static_cast<double>(*held) / (1 << 20);
    }
    for (void* p : blocks)
        a.release(p);
}

benchmark::internal::Benchmark* add(const std::string& name,
                                    std::function<void(benchmark::State&)> body)
{
    return bench_cli::register_case(name, std::move(body));
}

} // namespace

bool any_failed()
{
    return failed;
}

void register_benchmarks(const options& opts, const std::vector<allocator>& allocators)
{
    // First, while every heap is fresh (secretmem's own figures count what
    // it mapped since it started); sodium last: it runs the process up to
    // vm.max_map_count.
    for (const allocator& a : allocators) {
        add("live/" + std::string(a.name) + "/32B",
            [a, opts](benchmark::State& s) { live(s, a, opts); })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }

    const std::size_t count = opts.smoke ? 10 : batch_size;
    auto tune = [&](benchmark::internal::Benchmark* b) {
        b->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kNanosecond);
        if (opts.smoke) {
            b->Iterations(1);
        } else {
            b->MinTime(min_time_s);
        }
    };
    for (int r = 0; r < (opts.smoke ? 1 : rounds); ++r) {
        for (std::size_t size : {std::size_t{32}, std::size_t{256}}) {
            const std::string suffix = "/" + std::to_string(size) + "B/round:" + std::to_string(r);
            for (const allocator& a : allocators) {
                tune(add("alloc_free/" + std::string(a.name) + suffix,
                         [a, size](benchmark::State& s) { alloc_free(s, a, size); }));
            }
            for (const allocator& a : allocators) {
                tune(add("batch/" + std::string(a.name) + suffix,
                         [a, size, count](benchmark::State& s) { batch(s, a, size, count); }));
            }
        }
    }

    // Last: the secret heap never shrinks, and what it holds is copied.
    for (const std::size_t mib : {std::size_t{2}, std::size_t{64}}) {
        if (opts.smoke && mib > 2)
            continue;
        for (const allocator& a : allocators) {
            if (a.name != "secretmem" && a.name != "glibc")
                continue;
            add("fork/" + std::string(a.name) + "/" + std::to_string(mib) + "MiB",
                [a, mib](benchmark::State& s) { fork_holding(s, a, mib << 20); })
                ->Iterations(opts.smoke ? 1 : 20)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
    }
}

} // namespace alloc_bench
