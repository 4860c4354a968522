// SPDX-License-Identifier: MIT
#include "arenas.hpp"

#include "extent_hooks.hpp"
#include "jemalloc_private.hpp"
#include "secret_heap.hpp"
#include "thread_cache.hpp"

#include <secretmem/error.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <exception>
#include <pthread.h>
#include <unistd.h>

namespace secretmem::heap {
namespace {

enum class heap_state : unsigned char { idle, ready, failed };

constexpr unsigned max_arenas = 8;

constinit std::atomic<heap_state> state{heap_state::idle};
constinit pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
constinit std::array<unsigned, max_arenas> arenas{};
constinit unsigned arenas_made = 0;
// Live threads per arena (by slot in `arenas`), so that a new thread takes
// the least busy one.  Round-robin would not do: a pool that ends and
// starts threads while others run cycles new ones onto busy arenas.
constinit std::array<std::atomic<unsigned>, max_arenas> threads_on{};
// Destroys a thread's cache when the thread exits; the value only has to
// be non-null for the destructor to run.
constinit pthread_key_t cache_key{};

// Initial-exec: the general-dynamic model may allocate on first access,
// from inside malloc.
[[gnu::tls_model("initial-exec")]] constinit thread_local bool starting_here = false;
[[gnu::tls_model("initial-exec")]] constinit thread_local int flags_here = 0;
[[gnu::tls_model("initial-exec")]] constinit thread_local unsigned cache_here = 0;
[[gnu::tls_model("initial-exec")]] constinit thread_local bool has_tcache_here = false;
[[gnu::tls_model("initial-exec")]] constinit thread_local int arena_slot_here = -1;

// Thread-local variables outlive the thread's key destructors.
void destroy_thread_cache(void* /*unused*/) noexcept
{
    thread_cache::flush();
    flags_here = 0;
    if (has_tcache_here)
        (void)mallctl_write("tcache.destroy", cache_here);
    has_tcache_here = false;
    if (arena_slot_here >= 0) {
        const auto slot = static_cast<unsigned>(arena_slot_here);
        threads_on.at(slot).fetch_sub(1, std::memory_order_relaxed);
    }
    arena_slot_here = -1;
}

// Dirty pages are never purged (the hooks refuse it), so decay would only
// spend time failing; without it freed extents stay dirty and are reused.
// Growth is by whole map steps, not jemalloc's geometric retained growth,
// which would map (and lock) far more secret memory than the heap uses.
bool tune(unsigned arena)
{
    char name[64];
    const ssize_t never = -1;
    std::snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", arena);
    if (mallctl_write(name, never) != 0)
        return false;
    std::snprintf(name, sizeof name, "arena.%u.muzzy_decay_ms", arena);
    if (mallctl_write(name, never) != 0)
        return false;
    std::snprintf(name, sizeof name, "arena.%u.retain_grow_limit", arena);
    std::size_t step = map_step;
    return sm_je_mallctl(name, nullptr, nullptr, &step, sizeof step) == 0;
}

bool create_arenas()
{
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    const unsigned wanted =
        std::clamp<unsigned>(cpus > 0 ? static_cast<unsigned>(cpus) : 1, 1, max_arenas);
    jemalloc_arena_config config{secret_extent_hooks(), false};
    for (unsigned i = 0; i < wanted; ++i) {
        unsigned index = 0;
        std::size_t length = sizeof index;
        if (sm_je_mallctl("experimental.arenas_create_ext", &index, &length, &config,
                          sizeof config) != 0 ||
            !tune(index))
            return false;
        arenas.at(i) = index;
        arenas_made = i + 1;
    }
    return true;
}

void start() noexcept
{
    try {
        reserve(policy{});
    } catch (const std::exception& e) {
        set_start_error(e.what());
        state.store(heap_state::failed, std::memory_order_release);
        return;
    }
    // Copied into forked children from now on; the order of the fork
    // handlers this relies on is fork_inheritance.cpp's.
    take_part_in_fork();
    if (pthread_key_create(&cache_key, destroy_thread_cache) != 0 || !create_arenas()) {
        set_start_error("the secret heap could not set up its jemalloc arenas");
        state.store(heap_state::failed, std::memory_order_release);
        return;
    }
    thread_cache::set_up();
    state.store(heap_state::ready, std::memory_order_release);
}

unsigned least_busy_slot() noexcept
{
    unsigned best = 0;
    unsigned fewest = threads_on.at(0).load(std::memory_order_relaxed);
    for (unsigned i = 1; i < arenas_made; ++i) {
        const unsigned n = threads_on.at(i).load(std::memory_order_relaxed);
        if (n < fewest) {
            best = i;
            fewest = n;
        }
    }
    return best;
}

int make_thread_flags() noexcept
{
    const unsigned slot = least_busy_slot();
    int flags = MALLOCX_ARENA(arenas.at(slot));
    // The key's destructor gives back this thread's caches and its place
    // on the arena when it exits; without it they would be lost, so a
    // thread that cannot set it uses the arena directly, uncounted.
    if (pthread_setspecific(cache_key, &cache_key) != 0)
        return flags | MALLOCX_TCACHE_NONE;
    threads_on.at(slot).fetch_add(1, std::memory_order_relaxed);
    arena_slot_here = static_cast<int>(slot);
    unsigned cache = 0;
    // Thousands of threads can exhaust jemalloc's explicit caches; those
    // beyond go to the arena directly.
    if (mallctl_read("tcache.create", cache) == 0) {
        cache_here = cache;
        has_tcache_here = true;
        return flags | MALLOCX_TCACHE(cache);
    }
    return flags | MALLOCX_TCACHE_NONE;
}

} // namespace

namespace {

// Out of line, so that the path every allocation takes stays short.
[[gnu::noinline, gnu::cold]] bool start_once() noexcept
{
    if (starting_here)
        return false;
    pthread_mutex_lock(&start_lock);
    if (state.load(std::memory_order_relaxed) == heap_state::idle) {
        starting_here = true;
        start();
        starting_here = false;
    }
    pthread_mutex_unlock(&start_lock);
    return state.load(std::memory_order_acquire) == heap_state::ready;
}

} // namespace

bool ensure_started() noexcept
{
    const heap_state now = state.load(std::memory_order_acquire);
    if (now != heap_state::idle) [[likely]]
        return now == heap_state::ready;
    return start_once();
}

bool starting_on_this_thread() noexcept
{
    return starting_here;
}

int thread_flags() noexcept
{
    if (flags_here == 0)
        flags_here = make_thread_flags();
    return flags_here;
}

unsigned arena_count() noexcept
{
    return arenas_made;
}

unsigned arena_index(unsigned i) noexcept
{
    return arenas.at(i);
}

} // namespace secretmem::heap
