// The allocators alloc-bench compares, behind one table of function
// pointers, so that every one is called the same way:
//
//   secretmem  secretmem_malloc / secretmem_free (allocator/, when built)
//   glibc      glibc's malloc / free, looked up in libc.so.6 itself, so that
//              an allocator linked into the process cannot stand in for it
//   jemalloc   malloc / free of Debian's libjemalloc.so.2, dlopen()ed with
//              RTLD_LOCAL: its default arenas, without replacing this
//              process's malloc
//   sodium     libsodium's sodium_malloc / sodium_free (guard pages, mlock)
//   openssl    OpenSSL's secure heap, CRYPTO_secure_malloc / _free, set up
//              with CRYPTO_secure_malloc_init(32 MiB, 16)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alloc_bench {

// The secure heap's size and smallest block, as the issue sets them.
inline constexpr std::size_t openssl_heap_size = std::size_t{32} << 20;
inline constexpr std::size_t openssl_min_block = 16;

// What an allocator itself says about the memory it holds; unset when it
// has no such figure.
struct heap_figures {
    std::optional<std::uint64_t> secret_bytes;   // memory it holds for secrets
    std::optional<std::uint64_t> metadata_bytes; // its bookkeeping, in ordinary memory
    std::string backend;                         // secretmem's backend, else empty
    bool degraded = false;                       // secretmem's memory in the direct map
    std::string error;                           // why it last failed, when it says
};

struct allocator {
    std::string_view name;
    void* (*allocate)(std::size_t size);
    void (*release)(void* p);
    // Fails by design once a fixed resource is used up (the secure heap's
    // arena, vm.max_map_count for sodium_malloc's mappings): the memory
    // benchmark looks for that limit instead of reporting an error.
    bool bounded;
    // Hands out memory meant for secrets (locked at least).
    bool for_secrets;
    heap_figures (*figures)();
};

// Sets up every allocator this build and this process offer, once: loads
// jemalloc, calls sodium_init() and CRYPTO_secure_malloc_init().  Call it
// after raising RLIMIT_MEMLOCK (the secure heap locks its arena at once).
// Returns them in the order the benchmarks run them; why one is missing goes
// to `missing`, one line each.
std::vector<allocator> set_up(std::vector<std::string>& missing);

// False when jemalloc cannot be dlopen()ed because glibc has no static TLS
// left for it (its TLS is initial-exec): main() then runs itself again with
// more (tls_tunable()), which only works from the process's start.
bool jemalloc_loadable(std::string& error);
std::string tls_tunable();

// Versions and settings for the JSON context: name -> text.
std::vector<std::pair<std::string, std::string>> describe();

} // namespace alloc_bench
