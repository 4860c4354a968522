// SPDX-License-Identifier: MIT
// A benchmark case from a function, registered with Google Benchmark.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>

namespace bench_cli {

// Register `body` as the case `name`; Google Benchmark keeps it for the
// program's life.
benchmark::internal::Benchmark* register_case(const std::string& name,
                                              std::function<void(benchmark::State&)> body);

} // namespace bench_cli
