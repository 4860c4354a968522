// SPDX-License-Identifier: MIT
// The page allocator's hot path, with no secret memory anywhere: fault in
// and free ordinary anonymous pages, as every program does.  run-idle-cost.sh
// runs it on the stock kernel and on the patched one, which must not be
// slower while secret memory has never been used (the series' free-path and
// GUP-fast tests sit behind a static key that is off then).
//
//   page-churn [MIB [ROUNDS]]    prints the median ns per page over ROUNDS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

// One round: map, touch every page (a fault and an allocation each), unmap
// (a free each).  Nanoseconds per page, or a negative value on failure.
double churn_once(std::size_t bytes, std::size_t page)
{
    const auto start = std::chrono::steady_clock::now();
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    auto* memory = static_cast<volatile char*>(p);
    std::size_t pages = 0;
    for (std::size_t off = 0; off < bytes; off += page, ++pages)
        memory[off] = 1;
    ::munmap(p, bytes);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    return static_cast<double>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
           static_cast<double>(pages);
}

} // namespace

int main(int argc, char** argv)
{
    const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 15;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (mib == 0 || rounds <= 0) {
        std::fprintf(stderr, "usage: page-churn [MIB [ROUNDS]], both at least 1\n");
        return 2;
    }
    (void)churn_once(mib << 20, page); // warm up: page tables, caches
    std::vector<double> times;
    for (int i = 0; i < rounds; ++i) {
        const double t = churn_once(mib << 20, page);
        if (t < 0) {
            std::perror("page-churn: mmap");
            return 1;
        }
        times.push_back(t);
    }
    std::nth_element(times.begin(), times.begin() + rounds / 2, times.end());
    std::printf("%.1f\n", times[static_cast<std::size_t>(rounds / 2)]);
    return 0;
}
