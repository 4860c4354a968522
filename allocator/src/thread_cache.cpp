// SPDX-License-Identifier: MIT
#include "thread_cache.hpp"

#include "arenas.hpp"
#include "jemalloc_private.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace secretmem::heap::thread_cache {
namespace {

// jemalloc 5.3 has 17 size classes up to 512 bytes (8, 16, 32 ... 448, 512).
constexpr std::size_t max_classes = 24;
// Per class and thread: enough for a burst of short-lived keys, small
// enough that a thread's cache holds at most about 50 KiB (16 blocks of
// each of the 17 classes, 3,080 bytes a set).
constexpr unsigned slots_per_class = 16;
constexpr std::size_t granule = 8;

struct size_class {
    unsigned count = 0;
    std::array<void*, slots_per_class> slots{};
};

// Allocated from the secret heap itself: in a forked child whose heap reads
// as zeros it is simply empty.
struct cache {
    std::array<size_class, max_classes> classes{};
};

constinit std::array<std::uint8_t, max_size / granule + 1> class_of_size{};
constinit std::array<std::size_t, max_classes> class_bytes{};
constinit unsigned classes = 0;

// Initial-exec: the general-dynamic model may allocate on first access.
[[gnu::tls_model("initial-exec")]] constinit thread_local cache* mine = nullptr;

cache* this_thread() noexcept
{
    if (mine == nullptr) {
        mine = static_cast<cache*>(sm_je_mallocx(sizeof(cache), thread_flags() | MALLOCX_ZERO));
    }
    return mine;
}

} // namespace

void set_up() noexcept
{
    for (std::size_t rounded = 0; rounded <= max_size; rounded += granule) {
        const std::size_t bytes = sm_je_nallocx(rounded == 0 ? 1 : rounded, 0);
        if (classes == 0 || class_bytes.at(classes - 1) != bytes) {
            if (classes == max_classes)
                return; // not the jemalloc expected: cache fewer sizes
            class_bytes.at(classes++) = bytes;
        }
        class_of_size.at(rounded / granule) = static_cast<std::uint8_t>(classes - 1);
    }
}

void* take(std::size_t size) noexcept
{
    if (size > max_size || classes == 0)
        return nullptr;
    cache* c = this_thread();
    if (c == nullptr)
        return nullptr;
    size_class& k = c->classes.at(class_of_size.at((size + granule - 1) / granule));
    if (k.count == 0)
        return nullptr;
    return k.slots.at(--k.count);
}

bool keep(void* block, std::size_t usable) noexcept
{
    if (usable > max_size || classes == 0)
        return false;
    const unsigned index = class_of_size.at((usable + granule - 1) / granule);
    // Only exact class sizes: a block's usable size is its class's.
    if (class_bytes.at(index) != usable)
        return false;
    cache* c = this_thread();
    if (c == nullptr)
        return false;
    size_class& k = c->classes.at(index);
    if (k.count == slots_per_class)
        return false;
    k.slots.at(k.count++) = block;
    return true;
}

void flush() noexcept
{
    cache* c = mine;
    if (c == nullptr)
        return;
    mine = nullptr;
    const int flags = thread_flags();
    for (unsigned i = 0; i < classes; ++i) {
        size_class& k = c->classes.at(i);
        while (k.count > 0)
            sm_je_sdallocx(k.slots.at(--k.count), class_bytes.at(i), flags);
    }
    // Pointers only, but the heap hands out nothing unwiped.
    ::explicit_bzero(c, sizeof(cache));
    sm_je_sdallocx(c, sizeof(cache), flags);
}

} // namespace secretmem::heap::thread_cache
