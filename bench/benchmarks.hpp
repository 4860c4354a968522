// The benchmarks of issue 4, registered with Google Benchmark for every
// variant this kernel offers, side by side in one process.
#pragma once

#include "backends.hpp"

#include <vector>

namespace bench {

struct options {
    // One iteration of everything at small sizes: proves every benchmark
    // still runs (the vm-bench-smoke test), measures nothing.
    bool smoke = false;
};

// Registers, in this order (Google Benchmark runs them in it):
//   direct_map/<variant>/<size>   direct-map state, splits and TLB flushes,
//                                 first, before any memfd_secret splits the
//                                 direct map for good (memfd_secret last);
//   populate/<variant>/<size>     touch every page of a fresh mapping;
//   map_touch_unmap/<variant>/<size>
//   concurrent/<variant>/<size>   two threads, one mapping, a half each;
//   fork/<variant>/<size>         fork + child exit + wait.
void register_benchmarks(const options& opts, const std::vector<variant>& variants);

// True once any benchmark failed (it is reported with its error).
bool any_failed();

} // namespace bench
