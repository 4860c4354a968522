// SPDX-License-Identifier: MIT
// An invariant the fuzzers assert: when it does not hold, say which one
// and where, then trap, so that libFuzzer reports a crash and saves the
// input.  A macro, not a function, so that the message's arguments are
// only evaluated on failure and the location is the caller's.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(condition, ...)                                                                 \
    do {                                                                                           \
        if (!(condition)) [[unlikely]] {                                                           \
            std::fprintf(stderr, "fuzz: invariant failed at %s:%d: %s: ", __FILE__, __LINE__,      \
                         #condition);                                                              \
            std::fprintf(stderr, __VA_ARGS__);                                                     \
            std::fputc('\n', stderr);                                                              \
            std::fflush(stderr);                                                                   \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)
