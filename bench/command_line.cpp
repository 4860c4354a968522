#include "command_line.hpp"

#include <cstdio>
#include <string_view>
#include <sys/resource.h>

namespace bench_cli {

std::string raise_memlock_limit()
{
    rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &limit) != 0 && getrlimit(RLIMIT_MEMLOCK, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_MEMLOCK, &limit);
    }
    if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0) {
        return "unknown";
    }
    return limit.rlim_cur == RLIM_INFINITY ? "unlimited"
                                           : std::to_string(limit.rlim_cur) + " bytes";
}

std::optional<bool> smoke_flag(int argc, char** argv)
{
    bool smoke = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--smoke") {
            smoke = true;
        } else {
            std::fprintf(stderr, "%s: unknown argument %s\nusage: %s [--smoke] [--benchmark_...]\n",
                         argv[0], argv[i], argv[0]);
            return std::nullopt;
        }
    }
    return smoke;
}

} // namespace bench_cli
