// SPDX-License-Identifier: MIT
// The C API of secretmem/alloc.h over the secret arenas.
#include <secretmem/alloc.h>

#include "arenas.hpp"
#include "jemalloc_private.hpp"
#include "secret_heap.hpp"
#include "thread_cache.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace secretmem::heap {
namespace {

// memset that the compiler may not drop because the block is freed next.
void wipe(void* p, std::size_t n) noexcept
{
    ::explicit_bzero(p, n);
}

[[gnu::noinline]] void* allocate_from_jemalloc(std::size_t size, int extra_flags) noexcept
{
    // mallocx() requires a non-zero size; malloc(0) must still return a
    // unique pointer.
    void* p = sm_je_mallocx(size == 0 ? 1 : size, thread_flags() | extra_flags);
    if (p == nullptr)
        errno = ENOMEM;
    return p;
}

void* allocate(std::size_t size, int extra_flags) noexcept
{
    if (!ensure_started()) [[unlikely]] {
        errno = ENOMEM;
        return nullptr;
    }
    // Cached blocks were wiped when freed: they serve calloc too.
    if ((extra_flags & ~MALLOCX_ZERO) == 0) {
        if (void* cached = thread_cache::take(size); cached != nullptr)
            return cached;
    }
    return allocate_from_jemalloc(size, extra_flags);
}

void release(void* p) noexcept
{
    const std::size_t usable = sm_je_sallocx(p, 0);
    wipe(p, usable);
    if (!thread_cache::keep(p, usable))
        sm_je_sdallocx(p, usable, thread_flags());
}

void* reallocate(void* p, std::size_t size) noexcept
{
    const std::size_t old = sm_je_sallocx(p, 0);
    if (size <= old) {
        // jemalloc may give the tail back to the arena: wipe it first.
        wipe(static_cast<std::byte*>(p) + size, old - size);
        (void)sm_je_xallocx(p, size, 0, 0);
        return p;
    }
    if (sm_je_xallocx(p, size, 0, 0) >= size)
        return p;
    // rallocx() would free the old block unwiped: move it by hand.
    void* moved = allocate(size, 0);
    if (moved == nullptr)
        return nullptr;
    std::memcpy(moved, p, old);
    release(p);
    return moved;
}

// Handing jemalloc a pointer it does not own corrupts its state; a secret
// library that did so quietly would be worse than one that stops.
void check_owned(const void* p, const char* function) noexcept
{
    if (owns(p))
        return;
    char message[160];
    const int n = std::snprintf(message, sizeof message,
                                "secretmem: %s(%p): not a block of the secret heap\n", function, p);
    if (n > 0) {
        [[maybe_unused]] const ssize_t written =
            ::write(STDERR_FILENO, message, static_cast<std::size_t>(n));
    }
    std::abort();
}

std::uint64_t sum_arena_stat(const char* format) noexcept
{
    // Refresh jemalloc's statistics snapshot first.
    std::uint64_t epoch = 1;
    std::size_t length = sizeof epoch;
    (void)sm_je_mallctl("epoch", &epoch, &length, &epoch, sizeof epoch);
    std::uint64_t total = 0;
    for (unsigned i = 0; i < arena_count(); ++i) {
        char name[96];
        std::snprintf(name, sizeof name, format, arena_index(i));
        std::size_t value = 0;
        if (mallctl_read(name, value) == 0)
            total += value;
    }
    return total;
}

} // namespace
} // namespace secretmem::heap

using namespace secretmem::heap;

extern "C" {

void* secretmem_malloc(size_t size)
{
    return allocate(size, 0);
}

void* secretmem_calloc(size_t count, size_t size)
{
    size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return nullptr;
    }
    return allocate(bytes, MALLOCX_ZERO);
}

void* secretmem_realloc(void* ptr, size_t size)
{
    if (ptr == nullptr)
        return allocate(size, 0);
    check_owned(ptr, "secretmem_realloc");
    if (size == 0) {
        // As glibc: realloc(p, 0) frees p.
        release(ptr);
        return nullptr;
    }
    return reallocate(ptr, size);
}

void* secretmem_aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return nullptr;
    }
    return allocate(size, MALLOCX_ALIGN(alignment));
}

void secretmem_free(void* ptr)
{
    if (ptr == nullptr)
        return;
    check_owned(ptr, "secretmem_free");
    release(ptr);
}

size_t secretmem_usable_size(const void* ptr)
{
    if (ptr == nullptr)
        return 0;
    check_owned(ptr, "secretmem_usable_size");
    return sm_je_sallocx(ptr, 0);
}

int secretmem_owns(const void* ptr)
{
    return owns(ptr) ? 1 : 0;
}

int secretmem_get_heap_stats(struct secretmem_heap_stats* out)
{
    if (out == nullptr) {
        errno = EINVAL;
        return -1;
    }
    *out = {};
    const secretmem::backend* b = chosen_backend();
    if (b == nullptr)
        return 0;
    out->backend = secretmem::to_string(b->kind()).data();
    out->degraded = b->degraded() ? 1 : 0;
    out->mapped_bytes = mapped_bytes();
    out->allocated_bytes = sum_arena_stat("stats.arenas.%u.small.allocated") +
                           sum_arena_stat("stats.arenas.%u.large.allocated");
    out->metadata_bytes = sum_arena_stat("stats.arenas.%u.base");
    return 0;
}

const char* secretmem_heap_error(void)
{
    return last_error();
}

void secretmem_heap_copy_on_fork(int enable)
{
    set_copy_on_fork(enable != 0);
}

int secretmem_heap_starting_here(void)
{
    return starting_on_this_thread() ? 1 : 0;
}

} // extern "C"
