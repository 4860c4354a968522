#include "benchmarks.hpp"

#include "kernel_counters.hpp"

#include <atomic>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace bench {

namespace {

using secretmem::counters::delta;
using secretmem::counters::drain_pool;
using secretmem::counters::secret_events;
using secretmem::counters::snapshot;
using secretmem::counters::tlb_events;

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

std::atomic<bool> failed{false};

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start)
{
    return std::chrono::duration<double>(steady::now() - start).count();
}

std::string size_name(std::size_t size)
{
    return size >= MiB ? std::to_string(size / MiB) + "MiB" : std::to_string(size / KiB) + "KiB";
}

// Runs one benchmark body between two pool drains, so that every case starts
// from an empty pool (each case drains first, even after one that failed).
// A failure is reported on the benchmark and counted for the exit status.
template <typename Body>
void guarded(benchmark::State& state, Body body)
{
    try {
        drain_pool();
        body();
        drain_pool();
    } catch (const std::exception& e) {
        failed = true;
        state.SkipWithError(e.what());
    }
}

void set_bytes(benchmark::State& state, std::size_t size)
{
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(size));
}

// 1. Populate throughput: fault every page of a fresh mapping (PROT_SECRET:
// convert populated memory).  The pool is drained before every iteration, so
// each one measures fresh secret memory, chunk removal included.
void populate(benchmark::State& state, variant v, std::size_t size)
{
    guarded(state, [&] {
        for (auto _ : state) {
            drain_pool();
            mapping m(v, size);
            auto start = steady::now();
            m.populate();
            state.SetIterationTime(seconds_since(start));
        }
        set_bytes(state, size);
    });
}

// 2. The small-secret case: map, first touch, unmap, all timed.  The pool
// stays warm between iterations, as it would in a program.
void map_touch_unmap(benchmark::State& state, variant v, std::size_t size)
{
    guarded(state, [&] {
        for (auto _ : state) {
            mapping m(v, size);
            m.populate();
        }
    });
}

// 3. Two threads fault one mapping concurrently, each its own half (the case
// of a multi-threaded program filling one secret arena).  Timed from the
// start signal until both halves are done.
void concurrent(benchmark::State& state, variant v, std::size_t size)
{
    guarded(state, [&] {
        const std::size_t half = size / 2;
        for (auto _ : state) {
            drain_pool();
            mapping m(v, size);
            std::atomic<bool> ready{false};
            std::atomic<bool> go{false};
            std::exception_ptr error;
            std::thread other([&] {
                ready.store(true, std::memory_order_release);
                while (!go.load(std::memory_order_acquire)) {
                }
                try {
                    m.populate(half, half);
                } catch (...) {
                    error = std::current_exception();
                }
            });
            while (!ready.load(std::memory_order_acquire)) {
            }
            auto start = steady::now();
            go.store(true, std::memory_order_release);
            std::exception_ptr mine;
            try {
                m.populate(0, half);
            } catch (...) {
                mine = std::current_exception();
            }
            other.join();
            state.SetIterationTime(seconds_since(start));
            if (mine) {
                std::rethrow_exception(mine);
            }
            if (error) {
                std::rethrow_exception(error);
            }
        }
        set_bytes(state, size);
    });
}

// A vmstat delta as a counter, when the kernel has the event.
void event_counter(benchmark::State& state, const snapshot& a, const snapshot& b,
                   const std::string& event, const std::string& counter, double divisor = 1)
{
    if (auto d = delta(a, b, event)) {
        state.counters[counter] = static_cast<double>(*d) / divisor;
    }
}

// A /proc/meminfo field in kB as a counter, when the kernel has it.
void meminfo_counter(benchmark::State& state, const snapshot& s, const std::string& field,
                     const std::string& counter)
{
    if (auto kb = s.kb(field)) {
        state.counters[counter] = static_cast<double>(*kb);
    }
}

// 4. Direct-map state: map and populate, unmap, drain the pool, with a
// /proc/vmstat and /proc/meminfo snapshot at each step.  Timed: map+populate.
void direct_map(benchmark::State& state, variant v, std::size_t size)
{
    guarded(state, [&] {
        const double mib = static_cast<double>(size) / static_cast<double>(MiB);
        for (auto _ : state) {
            drain_pool();
            const snapshot before = snapshot::take();
            auto start = steady::now();
            std::optional<mapping> m;
            m.emplace(v, size);
            m->populate();
            state.SetIterationTime(seconds_since(start));
            const snapshot mapped = snapshot::take();
            m.reset();
            const snapshot unmapped = snapshot::take();
            const bool drained = drain_pool();
            const snapshot after = snapshot::take();

            event_counter(state, before, mapped, "direct_map_level2_splits", "l2_splits");
            event_counter(state, before, mapped, "direct_map_level3_splits", "l3_splits");
            event_counter(state, before, after, "direct_map_level2_splits", "l2_splits_total");
            meminfo_counter(state, before, "DirectMap4k", "DirectMap4k_before_kB");
            meminfo_counter(state, mapped, "DirectMap4k", "DirectMap4k_mapped_kB");
            meminfo_counter(state, unmapped, "DirectMap4k", "DirectMap4k_unmapped_kB");
            meminfo_counter(state, mapped, "SecretMap", "SecretMem_mapped_kB");
            meminfo_counter(state, mapped, "SecretPool", "SecretPool_mapped_kB");
            meminfo_counter(state, unmapped, "SecretPool", "SecretPool_unmapped_kB");
            if (drained) {
                meminfo_counter(state, after, "DirectMap4k", "DirectMap4k_drained_kB");
                meminfo_counter(state, after, "SecretPool", "SecretPool_drained_kB");
            }
            for (const char* event : tlb_events) {
                event_counter(state, before, mapped, event, std::string(event) + "_per_MiB", mib);
                event_counter(state, mapped, after, event, std::string(event) + "_release_per_MiB",
                              mib);
            }
            event_counter(state, before, mapped, "secret_tlb_flush", "secret_tlb_flush_per_MiB",
                          mib);
            event_counter(state, mapped, after, "secret_tlb_flush",
                          "secret_tlb_flush_release_per_MiB", mib);
            for (const char* event : secret_events) {
                event_counter(state, before, after, event, event);
            }
        }
    });
}

// 5. fork() of a process holding populated memory: fork, the child exits at
// once, the parent waits.
void fork_holding(benchmark::State& state, variant v, std::size_t size)
{
    guarded(state, [&] {
        mapping m(v, size);
        m.populate();
        for (auto _ : state) {
            pid_t pid = fork();
            if (pid < 0) {
                throw std::system_error(errno, std::generic_category(), "fork");
            }
            if (pid == 0) {
                _exit(0);
            }
            int status = 0;
            if (waitpid(pid, &status, 0) != pid) {
                throw std::system_error(errno, std::generic_category(), "waitpid");
            }
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                throw std::runtime_error("the forked child did not exit with status 0");
            }
        }
    });
}

using body = void (*)(benchmark::State&, variant, std::size_t);

// One case: a body run for one variant and size.
class case_benchmark final : public benchmark::internal::Benchmark {
public:
    case_benchmark(const std::string& name, body fn, variant v, std::size_t size)
        : Benchmark(name.c_str()), fn_(fn), variant_(v), size_(size)
    {
    }

    void Run(benchmark::State& state) override { fn_(state, variant_, size_); }

private:
    body fn_;
    variant variant_;
    std::size_t size_;
};

benchmark::internal::Benchmark* add(const char* group, body fn, variant v, std::size_t size,
                                    benchmark::IterationCount iterations)
{
    const std::string full =
        std::string(group) + "/" + std::string(name(v)) + "/" + size_name(size);
    // Google Benchmark's registry owns what it is given, for the program's
    // life; the analyzer cannot see that (nor through RegisterBenchmark()).
    // NOLINTBEGIN(cppcoreguidelines-owning-memory,clang-analyzer-cplusplus.NewDeleteLeaks)
    auto* registered = new case_benchmark(full, fn, v, size);
    return benchmark::internal::RegisterBenchmarkInternal(registered)->Iterations(iterations);
    // NOLINTEND(cppcoreguidelines-owning-memory,clang-analyzer-cplusplus.NewDeleteLeaks)
}

} // namespace

bool any_failed()
{
    return failed;
}

void register_benchmarks(const options& opts, const std::vector<variant>& variants)
{
    // Iterations are fixed, never found by Google Benchmark's min_time: the
    // untimed setup (mmap, munmap, the pool drain) would make it run far
    // longer than the measured time suggests, and TCG is slow.
    auto n = [&](benchmark::IterationCount full) { return opts.smoke ? 1 : full; };
    const std::size_t big = opts.smoke ? 2 * MiB : 64 * MiB;

    // memfd_secret splits the direct map for good: measure it last.
    std::vector<variant> order;
    for (variant v : variants) {
        if (v != variant::memfd_secret) {
            order.push_back(v);
        }
    }
    for (variant v : variants) {
        if (v == variant::memfd_secret) {
            order.push_back(v);
        }
    }
    for (variant v : order) {
        add("direct_map", direct_map, v, opts.smoke ? 2 * MiB : 512 * MiB, 1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }

    struct sized {
        std::size_t size;
        benchmark::IterationCount iterations;
    };
    const sized populate_sizes[] = {
        {4 * KiB, 1000}, {64 * KiB, 300}, {2 * MiB, 30}, {64 * MiB, 3}, {512 * MiB, 1}};
    for (const sized& s : populate_sizes) {
        if (opts.smoke && s.size > 2 * MiB) {
            continue;
        }
        for (variant v : variants) {
            add("populate", populate, v, s.size, n(s.iterations))
                ->UseManualTime()
                ->Unit(s.size >= 2 * MiB ? benchmark::kMillisecond : benchmark::kMicrosecond);
        }
    }
    for (const sized& s : {sized{4 * KiB, 2000}, sized{64 * KiB, 500}}) {
        for (variant v : variants) {
            add("map_touch_unmap", map_touch_unmap, v, s.size, n(s.iterations))
                ->Unit(benchmark::kMicrosecond);
        }
    }
    for (variant v : variants) {
        add("concurrent", concurrent, v, big, n(3))->UseManualTime()->Unit(benchmark::kMillisecond);
    }
    for (variant v : variants) {
        add("fork", fork_holding, v, big, n(20))->Unit(benchmark::kMillisecond);
    }
}

} // namespace bench
