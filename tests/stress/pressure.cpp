// SPDX-License-Identifier: MIT
#include "pressure.hpp"

#include <kernel_counters.hpp>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/mman.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace secretmem::stress {
namespace {

bool write_sysctl(const char* path, const char* value)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const auto length = static_cast<ssize_t>(std::strlen(value));
    const bool ok = ::write(fd, value, static_cast<std::size_t>(length)) == length;
    ::close(fd);
    return ok;
}

bool drain_pool_once()
{
    try {
        return counters::drain_pool();
    } catch (const std::system_error&) {
        return false;
    }
}

void count(std::atomic<std::uint64_t>& done, std::atomic<std::uint64_t>& refused, bool ok)
{
    (ok ? done : refused).fetch_add(1, std::memory_order_relaxed);
}

// Every second, in turn: compaction (which must leave secret pages where
// they are), a slab drop (which runs every shrinker, the pool's too) and a
// pool drain racing the workers' faults.  Each costs a vCPU for a few
// hundred milliseconds under TCG: more often starves the workers.
void poke_sysctls(pressure_tallies& counts)
{
    for (unsigned round = 0;; ++round) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        switch (round % 3) {
        case 0:
            count(counts.compactions, counts.refused,
                  write_sysctl("/proc/sys/vm/compact_memory", "1"));
            break;
        case 1:
            count(counts.slab_drops, counts.refused, write_sysctl("/proc/sys/vm/drop_caches", "2"));
            break;
        default:
            count(counts.pool_drains, counts.refused, drain_pool_once());
            break;
        }
    }
}

} // namespace

std::uint64_t meminfo_kib(const char* field)
{
    const auto meminfo = counters::read_table("/proc/meminfo");
    const auto found = meminfo.find(field);
    return found != meminfo.end() && found->second > 0 ? static_cast<std::uint64_t>(found->second)
                                                       : 0;
}

void run_pressure(pressure_tallies& counts, unsigned percent, std::uint64_t seed)
{
    std::thread sysctls(poke_sysctls, std::ref(counts));
    std::mt19937_64 rng(seed);
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (;;) {
        const std::uint64_t available = meminfo_kib("MemAvailable") * 1024;
        const std::size_t bytes = (available / 100 * percent) / (1 + rng() % 4) / page * page;
        void* p = bytes == 0 ? MAP_FAILED
                             : ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            counts.refused.fetch_add(1, std::memory_order_relaxed);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        for (std::size_t off = 0; off < bytes; off += page)
            static_cast<volatile unsigned char*>(p)[off] = static_cast<unsigned char>(off);
        counts.mib_touched.fetch_add(bytes >> 20, std::memory_order_relaxed);
        std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 200));
        ::munmap(p, bytes);
    }
}

} // namespace secretmem::stress
