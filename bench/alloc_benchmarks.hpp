// The benchmarks of issue 5: small-secret allocators side by side in one
// process, registered with Google Benchmark.
#pragma once

#include "allocators.hpp"

#include <vector>

namespace alloc_bench {

struct options {
    // Every benchmark once, tiny (the alloc-bench-smoke test): proves they
    // still run, measures nothing.
    bool smoke = false;
};

// Registers, in this order (Google Benchmark runs them in it):
//   live/<allocator>/32B      1,000,000 live 32-byte secrets (or until the
//                             allocator fails): the memory it takes; for a
//                             bounded allocator, then on to where it fails;
//   alloc_free/<allocator>/<size>/round:<r>   allocate, write a byte, free;
//   batch/<allocator>/<size>/round:<r>        allocate 1000, then free them;
// the last two for 32 and 256 bytes, 1 and 2 threads (items/s, wall time),
// in rounds that each run every allocator once, so that a slow spell of a
// shared machine hits every allocator alike (the summary takes the median);
//   fork/<secretmem|glibc>/<2|64>MiB   fork + child exit + wait, holding
//                             that much in blocks (the secret heap's copy).
void register_benchmarks(const options& opts, const std::vector<allocator>& allocators);

// True once any benchmark failed (it is reported with its error).
bool any_failed();

} // namespace alloc_bench
