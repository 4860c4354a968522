// SPDX-License-Identifier: MIT
// The preload shim's exit report (libc-shim/preload/report.c): read from its
// line, and told to a person.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace secretmem::cli {

struct preload_report {
    std::string mode;    // "explicit" or "all"
    std::string backend; // "native", "fd", "locked", or "none": the heap never started
    bool degraded = false;
    std::uint64_t mapped = 0;    // secret memory mapped for the heap
    std::uint64_t allocated = 0; // in blocks not freed at exit
    std::uint64_t metadata = 0;  // the heap's bookkeeping, in ordinary memory
    std::uint64_t secure_heap_allocations = 0;
    std::uint64_t secure_heap_peak = 0;
    // "secret", "unreached" (a libcrypto the shim cannot reach), "ordinary"
    // (SECRETMEM_PRELOAD_OPENSSL=secure-heap) or "none" (no libcrypto)
    std::string openssl_heap;
    std::uint64_t openssl_heap_peak = 0;
    // "ours", or "refused": the program asked for its own OpenSSL memory
    // functions and the shim kept OpenSSL's heap secret
    std::string openssl_mem_functions = "ours";
    std::int64_t pid = 0; // the process that reported; 0: the shim did not say
    std::string comm;     // its name, as the shim made it one word

    [[nodiscard]] bool used_secret_memory() const { return backend != "none"; }
    // Neither secret memory nor OpenSSL: a shell, a helper it ran.
    [[nodiscard]] bool held_nothing() const
    {
        return !used_secret_memory() && openssl_heap == "none" && secure_heap_allocations == 0;
    }
};

// The report in `line` ("secretmem-preload: mode=... backend=... ..."), or
// nothing if the line is not one.  Fields the shim adds later are ignored.
[[nodiscard]] std::optional<preload_report> parse_report(std::string_view line);

// Every report in `text`, one per line, in the order they were written.
// Other lines (whatever else reached the file) are skipped.
[[nodiscard]] std::vector<preload_report> parse_reports(std::string_view text);

// Lines for a person, each without its newline: where `program`'s secrets
// were kept, how much secret memory it held and what OpenSSL's heaps did.
[[nodiscard]] std::vector<std::string> describe(const preload_report& report,
                                                std::string_view program);

} // namespace secretmem::cli
