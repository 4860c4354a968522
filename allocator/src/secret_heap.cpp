// SPDX-License-Identifier: MIT
#include "secret_heap.hpp"

#include <fork_inheritance.hpp>

#include <secretmem/error.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

namespace secretmem::heap {
namespace {

// Address space, not memory: the kernel's memlock limit bounds what is
// mapped long before this does.
constexpr std::size_t reservation_size = std::size_t{64} << 30;

struct heap_range {
    std::byte* base = nullptr;
    // Bytes from base mapped with secret memory, and handed to jemalloc.
    std::atomic<std::size_t> mapped{0};
    std::size_t used = 0;
    std::atomic<const backend*> chosen{nullptr};
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
};

constinit heap_range range;

// The default: a forked child gets its own copy (fork_inheritance.hpp).
constinit std::atomic<bool> copy_on_fork{true};

// Messages are built without allocating: take() runs under jemalloc's
// locks, where a malloc could come back into the heap.
constinit char error_text[1024] = "";
constinit std::atomic<bool> has_error{false};

void record_error(const char* message) noexcept
{
    std::snprintf(error_text, sizeof error_text, "%s", message);
    has_error.store(true, std::memory_order_release);
}

void record_growth_failure(const backend& b, std::size_t wanted, int error) noexcept
{
    char reason[128];
    char message[sizeof error_text];
    std::snprintf(message, sizeof message,
                  "the secret heap cannot grow from %zu to %zu KiB: %.*s failed: %s; raise the "
                  "memlock limit (ulimit -l, LimitMEMLOCK= in a systemd unit) or use less "
                  "secret memory",
                  range.mapped.load(std::memory_order_relaxed) >> 10, wanted >> 10,
                  static_cast<int>(b.mechanism().size()), b.mechanism().data(),
                  strerror_r(error, reason, sizeof reason));
    record_error(message);
}

std::size_t align_up(std::size_t n, std::size_t alignment) noexcept
{
    return (n + alignment - 1) & ~(alignment - 1);
}

// Map [mapped, end) with the heap's backend.  Called with the lock held.
bool map_up_to(std::size_t end) noexcept
{
    const backend& b = *range.chosen.load(std::memory_order_relaxed);
    const std::size_t from = range.mapped.load(std::memory_order_relaxed);
    const std::size_t to = align_up(end, map_step);
    if (to > reservation_size) {
        record_growth_failure(b, to, ENOMEM);
        return false;
    }
    if (const std::error_code ec = b.map_at(range.base + from, to - from); ec) {
        // The failed step may have left a partial mapping: put the
        // reservation back so the range stays inaccessible.
        (void)::mmap(range.base + from, to - from, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
        record_growth_failure(b, to, ec.value());
        return false;
    }
    range.mapped.store(to, std::memory_order_release);
    return true;
}

} // namespace

void reserve(const policy& p)
{
    // Over-reserve by one step so the base can be aligned to it.
    const std::size_t length = reservation_size + map_step;
    void* raw =
        ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        throw error({errno, std::system_category()},
                    "cannot reserve address space for the secret heap");
    }
    auto* start = static_cast<std::byte*>(raw);
    const auto address = reinterpret_cast<std::uintptr_t>(start);
    std::byte* base = start + (align_up(address, map_step) - address);
    if (base != start)
        ::munmap(start, static_cast<std::size_t>(base - start));
    ::munmap(base + reservation_size,
             static_cast<std::size_t>(start + length - (base + reservation_size)));

    try {
        const backend& b = map_secret_at(base, map_step, p);
        range.base = base;
        range.mapped.store(map_step, std::memory_order_relaxed);
        range.chosen.store(&b, std::memory_order_release);
    } catch (...) {
        ::munmap(base, reservation_size);
        throw;
    }
}

void* take(void* at, std::size_t size, std::size_t alignment) noexcept
{
    pthread_mutex_lock(&range.lock);
    const std::size_t offset = align_up(range.used, alignment);
    void* result = nullptr;
    if (at == nullptr || at == range.base + offset) {
        if (offset + size <= range.mapped.load(std::memory_order_relaxed) ||
            map_up_to(offset + size)) {
            range.used = offset + size;
            result = range.base + offset;
        }
    }
    pthread_mutex_unlock(&range.lock);
    return result;
}

bool owns(const void* p) noexcept
{
    const auto* byte = static_cast<const std::byte*>(p);
    return range.chosen.load(std::memory_order_acquire) != nullptr && byte >= range.base &&
           byte < range.base + reservation_size;
}

std::uint64_t mapped_bytes() noexcept
{
    return range.mapped.load(std::memory_order_acquire);
}

const backend* chosen_backend() noexcept
{
    return range.chosen.load(std::memory_order_acquire);
}

const char* last_error() noexcept
{
    return has_error.load(std::memory_order_acquire) ? error_text : nullptr;
}

void set_start_error(const char* message) noexcept
{
    record_error(message);
}

void set_copy_on_fork(bool copy) noexcept
{
    copy_on_fork.store(copy, std::memory_order_relaxed);
}

namespace {

// The heap's part in fork: its lock keeps take() out of the way (jemalloc's
// prepare handler has already taken every arena lock, fork_inheritance.hpp),
// and the child gets the mapped part of the reservation.
class heap_at_fork final : public fork_inheritance::participant {
public:
    [[nodiscard]] fork_inheritance::span hold() noexcept override
    {
        pthread_mutex_lock(&range.lock);
        return {range.base, range.mapped.load(std::memory_order_relaxed), chosen_backend(),
                copy_on_fork.load(std::memory_order_relaxed) ? fork_behavior::copy
                                                             : fork_behavior::wipe,
                PROT_READ | PROT_WRITE};
    }

    void release(bool in_child) noexcept override
    {
        if (in_child) {
            pthread_mutex_init(&range.lock, nullptr);
        } else {
            pthread_mutex_unlock(&range.lock);
        }
    }
};

constinit heap_at_fork fork_participant;

} // namespace

void take_part_in_fork() noexcept
{
    fork_inheritance::enroll(fork_participant);
}

} // namespace secretmem::heap
