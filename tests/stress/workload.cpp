// SPDX-License-Identifier: MIT
#include "workload.hpp"

#include "racer.hpp"
#include "secretmem/mman.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace secretmem::stress {
namespace {

const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
constexpr std::size_t slot_count = 16;
constexpr std::size_t max_pages = 128;
constexpr std::size_t big_pages = 512; // one 2 MiB chunk's worth

// Printed with write(2) only: it may run in a child forked from a threaded
// process, where stdio's and malloc's locks may be held by threads that are
// gone.
template <typename... Args>
[[noreturn]] void broken(const char* format, Args... args)
{
    std::array<char, 512> line{};
    int n = std::snprintf(line.data(), line.size(), "secret-stress[%d]: ", ::getpid());
    n += std::snprintf(line.data() + n, line.size() - static_cast<std::size_t>(n), format, args...);
    n = std::min(n, static_cast<int>(line.size()) - 2);
    line[static_cast<std::size_t>(n)] = '\n';
    (void)::write(STDERR_FILENO, line.data(), static_cast<std::size_t>(n) + 1);
    ::_exit(invariant_broken);
}

// A range and what each of its pages holds: every byte of page i is
// value[i] (0 for a page never written, or freed).  Racers read addr and
// pages without the lock, so those two are atomic.
struct range_slot {
    std::mutex lock;
    std::atomic<unsigned char*> addr{nullptr};
    std::atomic<std::size_t> pages{0};
    std::vector<std::uint8_t> value;

    [[nodiscard]] unsigned char* base() const { return addr.load(std::memory_order_relaxed); }
    [[nodiscard]] std::size_t size() const { return value.size(); }
    [[nodiscard]] std::size_t bytes() const { return value.size() * page; }

    void set(void* at, std::size_t count, std::uint8_t fill = 0)
    {
        value.assign(count, fill);
        pages.store(0, std::memory_order_relaxed);
        addr.store(static_cast<unsigned char*>(at), std::memory_order_relaxed);
        pages.store(count, std::memory_order_relaxed);
    }
    void resize(std::size_t count)
    {
        pages.store(std::min(count, value.size()), std::memory_order_relaxed);
        value.resize(count, 0);
        pages.store(count, std::memory_order_relaxed);
    }
    void clear()
    {
        pages.store(0, std::memory_order_relaxed);
        addr.store(nullptr, std::memory_order_relaxed);
        value.clear();
    }
};

void verify_pages(const range_slot& s, std::size_t from, std::size_t to, const char* after,
                  tallies& counts)
{
    for (std::size_t i = from; i < to; ++i) {
        const unsigned char* p = s.base() + i * page;
        const unsigned char want = s.value[i];
        // All bytes equal the first iff the page equals itself shifted by one.
        if (p[0] == want && std::memcmp(p, p + 1, page - 1) == 0)
            continue;
        const auto* bad = std::find_if(p, p + page, [want](unsigned char c) { return c != want; });
        broken("after %s: page %zu of %zu at %p, byte %td is 0x%02x, not 0x%02x", after, i,
               s.size(), static_cast<const void*>(p), bad - p, *bad, want);
    }
    counts.pages_verified.fetch_add(to - from, std::memory_order_relaxed);
}

void verify_all(const range_slot& s, const char* after, tallies& counts)
{
    verify_pages(s, 0, s.size(), after, counts);
}

class churner {
public:
    churner(std::array<range_slot, slot_count>& slots, tallies& counts, std::uint64_t seed)
        : slots_(slots), counts_(counts), rng_(seed)
    {
    }

    void step()
    {
        range_slot& s = slots_[pick(slot_count)];
        const std::lock_guard guard(s.lock);
        if (s.size() == 0) {
            if (pick(2) == 0) {
                map_secret(s);
            } else {
                convert(s);
            }
            return;
        }
        switch (pick(17)) {
        case 0:
        case 1:
        case 2:
            touch(s);
            break;
        case 3:
            verify_all(s, "nothing", counts_);
            counts_.count(op::verify, true);
            break;
        case 4:
            protect(s);
            break;
        case 5:
            grow(s);
            break;
        case 6:
            shrink(s);
            break;
        case 7:
            move(s);
            break;
        case 8:
            discard(s, MADV_DONTNEED, op::dontneed);
            break;
        case 9:
            discard(s, MADV_FREE, op::free_pages);
            break;
        case 10:
            keep(s, MADV_PAGEOUT, op::pageout);
            break;
        case 11:
            keep(s, MADV_COLD, op::cold);
            break;
        case 12:
            lock(s);
            break;
        case 13:
            punch(s);
            break;
        case 14:
            fork_child(s, (rng_() & 1) != 0);
            break;
        default:
            unmap(s);
            break;
        }
    }

private:
    std::size_t pick(std::size_t n)
    {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }
    std::uint8_t fresh_value() { return static_cast<std::uint8_t>(1 + pick(255)); }
    std::size_t range_pages() { return pick(16) == 0 ? big_pages : 1 + pick(max_pages); }

    void map_secret(range_slot& s)
    {
        const std::size_t n = range_pages();
        int flags = MAP_SECRET | MAP_ANONYMOUS;
        if (pick(4) == 0)
            flags |= MAP_POPULATE;
        void* p = ::mmap(nullptr, n * page, PROT_READ | PROT_WRITE, flags, -1, 0);
        counts_.count(op::map_secret, p != MAP_FAILED);
        if (p == MAP_FAILED)
            return;
        s.set(p, n);
        verify_pages(s, 0, std::min<std::size_t>(n, 4), "mmap", counts_);
    }

    // Plain memory filled first, then made secret in place, sometimes in
    // two steps so that the VMA is split and merged back.
    void convert(range_slot& s)
    {
        const std::size_t n = range_pages();
        void* p =
            ::mmap(nullptr, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            counts_.count(op::convert, false);
            return;
        }
        s.set(p, n);
        for (std::size_t i = 0; i < n; ++i) {
            if (pick(4) != 0) {
                s.value[i] = fresh_value();
                std::memset(s.base() + i * page, s.value[i], page);
            }
        }
        constexpr int secret_rw = PROT_READ | PROT_WRITE | PROT_SECRET;
        if (n > 1 && pick(2) == 0)
            (void)::mprotect(p, n / 2 * page, secret_rw);
        // ENOMEM and EBUSY leave the range secret but partly converted:
        // calling again completes it (Documentation/admin-guide/mm/secret_map.rst).
        int rc = -1;
        for (int attempt = 0; attempt < 4 && rc != 0; ++attempt) {
            rc = ::mprotect(p, n * page, secret_rw);
            if (rc != 0 && errno != ENOMEM && errno != EBUSY)
                break;
        }
        counts_.count(op::convert, rc == 0);
        if (rc != 0) {
            (void)::munmap(p, n * page);
            s.clear();
            return;
        }
        verify_all(s, "mprotect(PROT_SECRET)", counts_);
    }

    void touch(range_slot& s)
    {
        const std::size_t n = 1 + pick(std::min<std::size_t>(s.size(), 16));
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = pick(s.size());
            s.value[i] = fresh_value();
            std::memset(s.base() + i * page, s.value[i], page);
        }
        counts_.count(op::touch, true);
    }

    // Secrecy is sticky: dropping PROT_SECRET from the rights changes
    // nothing but the rights.
    void protect(range_slot& s)
    {
        const bool ok = ::mprotect(s.base(), s.bytes(), PROT_READ) == 0;
        counts_.count(op::protect, ok);
        verify_all(s, "mprotect(PROT_READ)", counts_);
        if (::mprotect(s.base(), s.bytes(), PROT_READ | PROT_WRITE) != 0)
            broken("mprotect(PROT_READ | PROT_WRITE) of %zu pages: %s", s.size(), strerror(errno));
    }

    void grow(range_slot& s)
    {
        const std::size_t n = s.size() + 1 + pick(s.size());
        void* p = ::mremap(s.base(), s.bytes(), n * page, MREMAP_MAYMOVE);
        counts_.count(op::grow, p != MAP_FAILED);
        if (p == MAP_FAILED)
            return;
        s.addr.store(static_cast<unsigned char*>(p), std::memory_order_relaxed);
        s.resize(n);
        verify_all(s, "mremap grow", counts_);
    }

    void shrink(range_slot& s)
    {
        if (s.size() < 2)
            return;
        const std::size_t n = 1 + pick(s.size() - 1);
        void* p = ::mremap(s.base(), s.bytes(), n * page, 0);
        counts_.count(op::shrink, p != MAP_FAILED);
        if (p == MAP_FAILED)
            broken("mremap shrink from %zu to %zu pages: %s", s.size(), n, strerror(errno));
        s.resize(n);
        verify_all(s, "mremap shrink", counts_);
    }

    void move(range_slot& s)
    {
        void* to = ::mmap(nullptr, s.bytes(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (to == MAP_FAILED) {
            counts_.count(op::move, false);
            return;
        }
        void* p = ::mremap(s.base(), s.bytes(), s.bytes(), MREMAP_MAYMOVE | MREMAP_FIXED, to);
        counts_.count(op::move, p != MAP_FAILED);
        if (p == MAP_FAILED) {
            (void)::munmap(to, s.bytes());
            return;
        }
        s.addr.store(static_cast<unsigned char*>(p), std::memory_order_relaxed);
        verify_all(s, "mremap move", counts_);
    }

    // Secret memory frees at once what MADV_DONTNEED and MADV_FREE give up:
    // those pages read back as zeroes, the others as they were.
    void discard(range_slot& s, int advice, op o)
    {
        const std::size_t from = pick(s.size());
        const std::size_t to = from + 1 + pick(s.size() - from);
        const bool ok = ::madvise(s.base() + from * page, (to - from) * page, advice) == 0;
        counts_.count(o, ok);
        if (ok) {
            std::fill(s.value.begin() + static_cast<std::ptrdiff_t>(from),
                      s.value.begin() + static_cast<std::ptrdiff_t>(to), 0);
        }
        verify_all(s, name(o).data(), counts_);
    }

    // Advice secret memory refuses (it is never reclaimed): nothing moves.
    void keep(range_slot& s, int advice, op o)
    {
        counts_.count(o, ::madvise(s.base(), s.bytes(), advice) == 0);
        verify_all(s, name(o).data(), counts_);
    }

    void lock(range_slot& s)
    {
        counts_.count(op::lock, ::mlock(s.base(), s.bytes()) == 0);
        verify_all(s, "mlock", counts_);
        counts_.count(op::unlock, ::munlock(s.base(), s.bytes()) == 0);
        verify_all(s, "munlock", counts_);
    }

    // A hole in the middle splits the VMA in three: both sides keep their
    // pages; then the tail goes too.
    void punch(range_slot& s)
    {
        if (s.size() < 3)
            return;
        const std::size_t hole = 1 + pick(s.size() - 2);
        const bool ok = ::munmap(s.base() + hole * page, page) == 0;
        counts_.count(op::punch, ok);
        if (!ok)
            broken("munmap of page %zu of %zu: %s", hole, s.size(), strerror(errno));
        verify_pages(s, 0, hole, "munmap middle (head)", counts_);
        verify_pages(s, hole + 1, s.size(), "munmap middle (tail)", counts_);
        const std::size_t tail = s.size() - hole - 1;
        s.resize(hole);
        if (tail > 0 && ::munmap(s.base() + (hole + 1) * page, tail * page) != 0)
            broken("munmap of the tail: %s", strerror(errno));
    }

    void unmap(range_slot& s)
    {
        const bool ok = ::munmap(s.base(), s.bytes()) == 0;
        counts_.count(op::unmap, ok);
        if (!ok)
            broken("munmap of %zu pages: %s", s.size(), strerror(errno));
        s.clear();
    }

    // The child of fork gets the range wiped (zero-filled), or after
    // MADV_KEEPONFORK a copy the kernel made; either way its own: what it
    // writes the parent never sees.
    void fork_child(range_slot& s, bool keep)
    {
        const op o = keep ? op::fork_kept : op::fork_child;
        if (keep && ::madvise(s.base(), s.bytes(), MADV_KEEPONFORK) != 0)
            broken("madvise(MADV_KEEPONFORK) of %zu pages: %s", s.size(), strerror(errno));
        const pid_t pid = ::fork();
        if (pid < 0) {
            counts_.count(o, false);
        } else if (pid == 0) {
            if (!keep)
                std::fill(s.value.begin(), s.value.end(), 0);
            verify_all(s, keep ? "fork (the child's kept copy)" : "fork (the child's copy, wiped)",
                       counts_);
            std::memset(s.base(), 0xa5, s.bytes());
            ::_exit(0);
        }
        if (keep && ::madvise(s.base(), s.bytes(), MADV_WIPEONFORK) != 0)
            broken("madvise(MADV_WIPEONFORK) of %zu pages: %s", s.size(), strerror(errno));
        if (pid < 0)
            return;
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            broken("fork: the child ended with status 0x%x", static_cast<unsigned>(status));
        counts_.count(o, true);
        verify_all(s, "fork (the parent's copy)", counts_);
    }

    std::array<range_slot, slot_count>& slots_;
    tallies& counts_;
    std::mt19937_64 rng_;
};

void race(std::array<range_slot, slot_count>& slots, tallies& counts, std::uint64_t seed,
          const std::atomic<bool>& stop)
{
    std::mt19937_64 rng(seed);
    racer r(counts);
    while (!stop.load(std::memory_order_relaxed)) {
        const range_slot& s = slots[rng() % slot_count];
        // Unlocked, on purpose: another thread may be unmapping it.
        unsigned char* at = s.addr.load(std::memory_order_relaxed);
        const std::size_t pages = s.pages.load(std::memory_order_relaxed);
        if (at == nullptr || pages == 0) {
            std::this_thread::yield();
            continue;
        }
        r.fault(at, pages * page, rng());
    }
}

} // namespace

void run_worker(const worker_options& options, tallies& counts)
{
    install_fault_recovery();
    static std::array<range_slot, slot_count> slots;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    threads.reserve(options.threads + 1);
    for (unsigned t = 0; t < options.threads; ++t) {
        threads.emplace_back([&, t] {
            churner c(slots, counts, options.seed * 1000 + t);
            while (!stop.load(std::memory_order_relaxed))
                c.step();
        });
    }
    threads.emplace_back([&] { race(slots, counts, options.seed * 1000 + 999, stop); });
    std::this_thread::sleep_for(options.lifetime);
    // Half the time the process exits with every thread running and every
    // range mapped: exit_group() tears them down under the racers' faults.
    if (options.seed % 2 == 0) {
        std::fflush(nullptr);
        ::_exit(0);
    }
    stop.store(true);
    for (std::thread& t : threads)
        t.join();
    for (range_slot& s : slots) {
        if (s.size() != 0 && ::munmap(s.base(), s.bytes()) != 0)
            broken("munmap at exit: %s", strerror(errno));
    }
    ::_exit(0);
}

} // namespace secretmem::stress
