// SPDX-License-Identifier: MIT
#include "registration.hpp"

#include <utility>

namespace bench_cli {
namespace {

class case_benchmark final : public benchmark::internal::Benchmark {
public:
    case_benchmark(const std::string& name, std::function<void(benchmark::State&)> body)
        : Benchmark(name.c_str()), body_(std::move(body))
    {
    }

    void Run(benchmark::State& state) override { body_(state); }

private:
    std::function<void(benchmark::State&)> body_;
};

} // namespace

benchmark::internal::Benchmark* register_case(const std::string& name,
                                              std::function<void(benchmark::State&)> body)
{
    // Google Benchmark's registry owns what it is given, for the program's
    // life; the analyzer cannot see that (nor through RegisterBenchmark()).
    // NOLINTBEGIN(cppcoreguidelines-owning-memory,clang-analyzer-cplusplus.NewDeleteLeaks)
    auto* registered = new case_benchmark(name, std::move(body));
    return benchmark::internal::RegisterBenchmarkInternal(registered);
    // NOLINTEND(cppcoreguidelines-owning-memory,clang-analyzer-cplusplus.NewDeleteLeaks)
}

} // namespace bench_cli
