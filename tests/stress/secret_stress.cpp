// SPDX-License-Identifier: MIT
// secret-stress: random operations on MAP_SECRET and PROT_SECRET memory from
// several processes and threads, against memory pressure and compaction, for
// a set time; or, with --oom, a process that asks for more secret memory
// than the machine has.  Meant for the debug kernel (make stress); the
// kernel's own checks (KASAN, lockdep, DEBUG_VM...) and tests/stress/run-stress.sh
// judge the kernel side, this program the user-visible one.
//
//   secret-stress [--seconds N] [--workers N] [--threads N] [--seed N]
//   secret-stress --oom
#include "counters.hpp"
#include "oom.hpp"
#include "pressure.hpp"
#include "workload.hpp"

#include "secretmem/mman.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace st = secretmem::stress;
using clock_type = std::chrono::steady_clock;

struct options {
    unsigned seconds = 30;
    unsigned workers = 3;
    unsigned threads = 3;
    std::uint64_t seed = 0;
    bool oom = false;
};

[[noreturn]] void usage(const char* why)
{
    std::fprintf(stderr,
                 "secret-stress: %s\n"
                 "usage: secret-stress [--seconds N] [--workers N] [--threads N] [--seed N]\n"
                 "       secret-stress --oom\n",
                 why);
    std::exit(2);
}

unsigned long long number(const char* flag, const char* text)
{
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text != nullptr ? text : "", &end, 10);
    if (text == nullptr || *text == '\0' || *end != '\0' || errno != 0)
        usage((std::string(flag) + " needs a number").c_str());
    return v;
}

options parse(int argc, char** argv)
{
    options o;
    o.seed = std::random_device{}();
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--oom") {
            o.oom = true;
            continue;
        }
        if (a == "--seconds") {
            o.seconds = static_cast<unsigned>(number(argv[i], value));
        } else if (a == "--workers") {
            o.workers = static_cast<unsigned>(number(argv[i], value));
        } else if (a == "--threads") {
            o.threads = static_cast<unsigned>(number(argv[i], value));
        } else if (a == "--seed") {
            o.seed = number(argv[i], value);
        } else {
            usage(("unknown argument " + std::string(a)).c_str());
        }
        ++i;
    }
    if (o.workers == 0 || o.threads == 0 || o.seconds == 0)
        usage("--seconds, --workers and --threads must be at least 1");
    return o;
}

// On a kernel without the series every MAP_SECRET and PROT_SECRET is refused
// and the stress would prove nothing: say so before starting.
bool kernel_has_secret_memory()
{
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    const bool ok = ::mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_SECRET) == 0;
    const int error = errno;
    ::munmap(p, 4096);
    errno = error;
    return ok;
}

template <typename T>
T* shared_object()
{
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        std::perror("secret-stress: mmap of the shared counters");
        std::exit(1);
    }
    return std::construct_at(static_cast<T*>(p));
}

pid_t spawn(const auto& body)
{
    const pid_t pid = ::fork();
    if (pid < 0) {
        std::perror("secret-stress: fork");
        std::exit(1);
    }
    if (pid == 0)
        body();
    return pid;
}

struct worker {
    pid_t pid = 0;
    bool killed = false; // by us: SIGKILL is then expected
};

struct supervisor_tallies {
    unsigned started = 0;
    unsigned exited = 0;
    unsigned killed = 0;
    unsigned failed = 0;
};

void print_report(const options& o, double seconds, const st::tallies& t,
                  const st::pressure_tallies& p, const supervisor_tallies& s)
{
    std::uint64_t total = 0;
    std::printf(
        "secret-stress: %.1f s, seed %llu, %u worker processes at a time x %u threads + 1 racer\n",
        seconds, static_cast<unsigned long long>(o.seed), o.workers, o.threads);
    std::printf("  %-22s %12s %10s\n", "operation", "done", "refused");
    for (std::size_t i = 0; i < st::op_count; ++i) {
        const auto d = t.done[i].load();
        const auto r = t.refused[i].load();
        total += d + r;
        std::printf("  %-22s %12llu %10llu\n",
                    std::string(st::name(static_cast<st::op>(i))).c_str(),
                    static_cast<unsigned long long>(d), static_cast<unsigned long long>(r));
    }
    std::printf(
        "  operations: %llu (%.0f/s); pages verified: %llu; racer faults recovered: %llu\n",
        static_cast<unsigned long long>(total), static_cast<double>(total) / seconds,
        static_cast<unsigned long long>(t.pages_verified.load()),
        static_cast<unsigned long long>(t.refused[static_cast<std::size_t>(st::op::race)].load()));
    std::printf("  processes: %u started, %u exited, %u killed with SIGKILL, %u failed\n",
                s.started, s.exited, s.killed, s.failed);
    std::printf("  background: %llu MiB touched, %llu compactions, %llu slab drops (shrinkers), "
                "%llu pool drains, %llu refused\n",
                static_cast<unsigned long long>(p.mib_touched.load()),
                static_cast<unsigned long long>(p.compactions.load()),
                static_cast<unsigned long long>(p.slab_drops.load()),
                static_cast<unsigned long long>(p.pool_drains.load()),
                static_cast<unsigned long long>(p.refused.load()));
}

int stress(const options& o)
{
    auto* counts = shared_object<st::tallies>();
    auto* background = shared_object<st::pressure_tallies>();
    std::mt19937_64 rng(o.seed);
    supervisor_tallies sup;
    const pid_t pressure = spawn([&] { st::run_pressure(*background, 40, o.seed ^ 0x5eed); });

    const auto start = clock_type::now();
    const auto deadline = start + std::chrono::seconds(o.seconds);
    std::vector<worker> workers(o.workers);
    std::uint64_t next_seed = o.seed;
    // Lifetimes of 2 to 8 s, cut to what is left of the run.
    auto launch = [&](worker& w) {
        using std::chrono::milliseconds;
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
        const auto lifetime = std::min(milliseconds(2000 + rng() % 6000), left + milliseconds(200));
        const st::worker_options wo{o.threads, ++next_seed, lifetime};
        w = worker{spawn([&] { st::run_worker(wo, *counts); }), false};
        ++sup.started;
    };
    for (worker& w : workers)
        launch(w);

    while (true) {
        const bool over = clock_type::now() >= deadline;
        // Now and then (every 5 s or so) a worker dies mid-operation: its
        // ranges go at exit, under its threads.
        if (!over && rng() % 100 == 0) {
            worker& w = workers[rng() % workers.size()];
            if (w.pid > 0 && ::kill(w.pid, SIGKILL) == 0)
                w.killed = true;
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        if (pid < 0)
            break;
        if (pid == pressure) {
            std::fprintf(stderr, "secret-stress: the background process ended (status 0x%x)\n",
                         static_cast<unsigned>(status));
            ++sup.failed;
            continue;
        }
        for (worker& w : workers) {
            if (w.pid != pid)
                continue;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                ++sup.exited;
            } else if (w.killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
                ++sup.killed;
            } else {
                ++sup.failed;
                std::fprintf(stderr, "secret-stress: worker %d ended with %s %d\n", pid,
                             WIFSIGNALED(status) ? "signal" : "status",
                             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            }
            w.pid = 0;
            if (!over && sup.failed == 0)
                launch(w);
        }
        bool any = false;
        for (const worker& w : workers)
            any = any || w.pid > 0;
        if (!any)
            break;
    }
    ::kill(pressure, SIGKILL);
    (void)::waitpid(pressure, nullptr, 0);
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    print_report(o, seconds, *counts, *background, sup);
    if (sup.failed != 0) {
        std::printf("secret-stress: FAILED (%u processes broke an invariant or crashed)\n",
                    sup.failed);
        return 1;
    }
    std::printf("secret-stress: passed\n");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const options o = parse(argc, argv);
    if (!kernel_has_secret_memory()) {
        std::fprintf(stderr,
                     "secret-stress: this kernel has no PROT_SECRET (%s): run it on the "
                     "patched kernel, e.g. make stress\n",
                     std::strerror(errno));
        return 77;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return o.oom ? st::run_oom() : stress(o);
}
