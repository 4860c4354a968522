// SPDX-License-Identifier: MIT
#include "heap_ops.hpp"

#include "../common/check.hpp"
#include "pattern.hpp"

#include <secretmem/alloc.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace secretmem::fuzz {
namespace {

constexpr std::size_t map_step = std::size_t{2} << 20;

// Sizes from every range the heap treats differently: the thread cache's
// (up to 512 bytes), jemalloc's small and large classes, and (one value in
// eight, they are slow to fill and check) blocks larger than one 2 MiB map
// step.
std::size_t size_from(std::uint16_t value) noexcept
{
    const std::size_t low = value & 0x3FFFU;
    switch (value >> 14U) {
    case 0:
        return low % 513;
    case 1:
        return low * 4;
    case 2:
        return low * 64;
    default:
        return (low & 0x2000U) != 0 ? map_step + (low & 0x1FFFU) * 64 : low * 16;
    }
}

bool is_aligned(const void* p, std::size_t alignment) noexcept
{
    return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

// What malloc promises for a block of `usable` bytes: 16-byte alignment,
// or the largest power of two that fits a smaller block.
std::size_t natural_alignment(std::size_t usable) noexcept
{
    return usable >= 16 ? 16 : 8;
}

// A failed allocation is only acceptable as the heap running out of
// secret memory (the memlock limit): errno ENOMEM and a reason given.
void expect_out_of_memory(const char* what)
{
    FUZZ_CHECK(errno == ENOMEM && secretmem_heap_error() != nullptr,
               "%s returned NULL: errno %d, heap error %s", what, errno,
               secretmem_heap_error() != nullptr ? secretmem_heap_error() : "(none)");
}

} // namespace

bool heap_commons::reserve(std::size_t bytes) noexcept
{
    std::size_t now = live_.load(std::memory_order_relaxed);
    do {
        if (bytes > budget - now)
            return false;
    } while (!live_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
    return true;
}

void heap_commons::release(std::size_t bytes) noexcept
{
    live_.fetch_sub(bytes, std::memory_order_relaxed);
}

bool heap_commons::hand_off(const heap_block& b)
{
    const std::scoped_lock guard(lock_);
    if (handed_.size() == max_handed)
        return false;
    handed_.push_back(b);
    return true;
}

std::optional<heap_block> heap_commons::adopt()
{
    const std::scoped_lock guard(lock_);
    if (handed_.empty())
        return std::nullopt;
    const heap_block b = handed_.front();
    handed_.erase(handed_.begin());
    return b;
}

std::vector<heap_block> heap_commons::adopt_all()
{
    const std::scoped_lock guard(lock_);
    return std::exchange(handed_, {});
}

std::uint32_t heap_worker::next_seed(std::uint16_t value) noexcept
{
    return ++seeds_ * 0x10001U ^ value;
}

void heap_worker::check_contents(const heap_block& b) const
{
    FUZZ_CHECK(secretmem_owns(b.p) == 1 && secretmem_owns(b.p + b.usable - 1) == 1,
               "block %p (%zu bytes) not owned by the heap", static_cast<void*>(b.p), b.usable);
    FUZZ_CHECK(secretmem_usable_size(b.p) == b.usable, "usable size of %p changed: %zu, was %zu",
               static_cast<void*>(b.p), secretmem_usable_size(b.p), b.usable);
    const std::size_t bad = pattern_mismatch(b.p, b.seed, 0, b.size);
    FUZZ_CHECK(bad == b.size, "block %p of %zu bytes lost its contents at byte %zu",
               static_cast<void*>(b.p), b.size, bad);
    // Never written by the fuzzer: zero since the block was handed out.
    const std::size_t dirty = nonzero_at(b.p, b.size, b.usable);
    FUZZ_CHECK(dirty == b.usable, "block %p: byte %zu beyond the %zu asked for is not zero",
               static_cast<void*>(b.p), dirty, b.size);
}

void heap_worker::check_no_overlap(const heap_block& b) const
{
    for (const auto& other : slots_) {
        if (!other || other->p == b.p)
            continue;
        FUZZ_CHECK(b.p + b.usable <= other->p || other->p + other->usable <= b.p,
                   "blocks %p (%zu) and %p (%zu) overlap", static_cast<void*>(b.p), b.usable,
                   static_cast<void*>(other->p), other->usable);
    }
}

// A block just handed out: every usable byte reads as zero (fresh memory,
// or wiped when its previous owner freed it), then takes the pattern.
void heap_worker::place(std::uint8_t slot, std::byte* p, std::size_t size, std::uint16_t value)
{
    heap_block b{p, size, secretmem_usable_size(p), next_seed(value)};
    FUZZ_CHECK(b.usable >= size, "usable size %zu < %zu asked for", b.usable, size);
    FUZZ_CHECK(is_aligned(p, natural_alignment(b.usable)), "block %p of %zu bytes misaligned",
               static_cast<void*>(p), b.usable);
    const std::size_t dirty = nonzero_at(p, 0, b.usable);
    FUZZ_CHECK(dirty == b.usable,
               "new block %p (%zu bytes): byte %zu holds a previous owner's data",
               static_cast<void*>(p), b.usable, dirty);
    check_no_overlap(b);
    fill_pattern(p, b.seed, 0, size);
    slots_.at(slot) = b;
}

void heap_worker::free_block(const heap_block& b)
{
    check_contents(b);
    secretmem_free(b.p);
    commons_.release(b.size);
    // Nobody else allocates during this input: the block stays as freed.
    if (alone_) {
        const std::size_t dirty = nonzero_at(b.p, 0, b.usable);
        FUZZ_CHECK(dirty == b.usable, "freed block %p (%zu bytes) not wiped at byte %zu",
                   static_cast<void*>(b.p), b.usable, dirty);
    }
}

void heap_worker::drop(std::uint8_t slot)
{
    if (auto& b = slots_.at(slot)) {
        free_block(*b);
        b.reset();
    }
}

void heap_worker::make(std::uint8_t slot, std::uint16_t value)
{
    drop(slot);
    const std::size_t size = size_from(value);
    if (!commons_.reserve(size))
        return;
    void* p = secretmem_malloc(size);
    if (p == nullptr) {
        commons_.release(size);
        expect_out_of_memory("secretmem_malloc");
        return;
    }
    place(slot, static_cast<std::byte*>(p), size, value);
}

void heap_worker::make_zeroed(std::uint8_t slot, std::uint16_t value)
{
    if ((slot & 0x80U) != 0) {
        errno = 0;
        FUZZ_CHECK(secretmem_calloc(SIZE_MAX / 2 + 1, 2 + (value & 0xFFU)) == nullptr &&
                       errno == ENOMEM,
                   "an overflowing calloc did not fail with ENOMEM (errno %d)", errno);
        return;
    }
    slot %= slot_count;
    drop(slot);
    const std::size_t count = 1 + (value & 0x3FU);
    const std::size_t each = value >> 6U;
    const std::size_t size = count * each;
    if (!commons_.reserve(size))
        return;
    void* p = secretmem_calloc(count, each);
    if (p == nullptr) {
        commons_.release(size);
        expect_out_of_memory("secretmem_calloc");
        return;
    }
    place(slot, static_cast<std::byte*>(p), size, value);
}

void heap_worker::make_aligned(std::uint8_t slot, std::uint16_t value)
{
    const unsigned shift = value & 0x1FU;
    const std::size_t size = static_cast<std::size_t>(value >> 5U) * 8;
    if (shift > 21) {
        // 0 and 3 << k are not powers of two.
        const std::size_t bad = shift == 22 ? 0 : std::size_t{3} << (shift - 23);
        errno = 0;
        FUZZ_CHECK(secretmem_aligned_alloc(bad, size) == nullptr && errno == EINVAL,
                   "aligned_alloc(%zu) did not fail with EINVAL (errno %d)", bad, errno);
        return;
    }
    drop(slot);
    const std::size_t alignment = std::size_t{1} << shift;
    if (!commons_.reserve(size))
        return;
    void* p = secretmem_aligned_alloc(alignment, size);
    if (p == nullptr) {
        commons_.release(size);
        expect_out_of_memory("secretmem_aligned_alloc");
        return;
    }
    FUZZ_CHECK(is_aligned(p, alignment), "aligned_alloc(%zu) returned %p", alignment, p);
    place(slot, static_cast<std::byte*>(p), size, value);
}

void heap_worker::resize(std::uint8_t slot, std::uint16_t value)
{
    const std::size_t size = size_from(value);
    auto& entry = slots_.at(slot);
    if (!entry) {
        // realloc(NULL, n) is malloc(n).
        if (!commons_.reserve(size))
            return;
        void* p = secretmem_realloc(nullptr, size);
        if (p == nullptr) {
            commons_.release(size);
            expect_out_of_memory("secretmem_realloc(NULL)");
            return;
        }
        place(slot, static_cast<std::byte*>(p), size, value);
        return;
    }
    const heap_block old = *entry;
    check_contents(old);
    if (size == 0) {
        FUZZ_CHECK(secretmem_realloc(old.p, 0) == nullptr, "realloc(p, 0) must free p");
        commons_.release(old.size);
        entry.reset();
        if (alone_) {
            const std::size_t dirty = nonzero_at(old.p, 0, old.usable);
            FUZZ_CHECK(dirty == old.usable, "block freed by realloc(p, 0) not wiped at %zu", dirty);
        }
        return;
    }
    if (size > old.size && !commons_.reserve(size - old.size))
        return;
    auto* q = static_cast<std::byte*>(secretmem_realloc(old.p, size));
    if (q == nullptr) {
        if (size > old.size)
            commons_.release(size - old.size);
        expect_out_of_memory("secretmem_realloc");
        check_contents(old); // a failed realloc leaves the block as it was
        return;
    }
    if (size < old.size)
        commons_.release(old.size - size);
    heap_block b{q, size, secretmem_usable_size(q), old.seed};
    FUZZ_CHECK(b.usable >= size, "realloc: usable size %zu < %zu", b.usable, size);
    const std::size_t kept = std::min(old.size, size);
    const std::size_t bad = pattern_mismatch(q, b.seed, 0, kept);
    FUZZ_CHECK(bad == kept, "realloc %zu -> %zu lost byte %zu", old.size, size, bad);
    const std::size_t dirty = nonzero_at(q, kept, b.usable);
    FUZZ_CHECK(dirty == b.usable, "realloc %zu -> %zu: byte %zu past the old contents not zero",
               old.size, size, dirty);
    if (alone_ && q != old.p) {
        const std::size_t left = nonzero_at(old.p, 0, old.usable);
        FUZZ_CHECK(left == old.usable, "realloc moved a block and left byte %zu unwiped", left);
    }
    if (alone_ && q == old.p && b.usable < old.usable) {
        const std::size_t tail = nonzero_at(old.p, b.usable, old.usable);
        FUZZ_CHECK(tail == old.usable, "realloc shrank a block and left byte %zu unwiped", tail);
    }
    entry.reset();
    check_no_overlap(b);
    fill_pattern(q, b.seed, kept, size);
    entry = b;
}

void heap_worker::rewrite(std::uint8_t slot, std::uint16_t value)
{
    if (auto& b = slots_.at(slot)) {
        check_contents(*b);
        b->seed = next_seed(value);
        fill_pattern(b->p, b->seed, 0, b->size);
    }
}

void heap_worker::hand_off(std::uint8_t slot)
{
    auto& b = slots_.at(slot);
    if (!b)
        return;
    check_contents(*b);
    if (commons_.hand_off(*b))
        b.reset();
}

void heap_worker::adopt(std::uint8_t slot)
{
    if (slots_.at(slot))
        return;
    if (const std::optional<heap_block> b = commons_.adopt()) {
        check_contents(*b);
        check_no_overlap(*b);
        slots_.at(slot) = b;
    }
}

void heap_worker::check_stats()
{
    secretmem_heap_stats s{};
    FUZZ_CHECK(secretmem_get_heap_stats(&s) == 0, "secretmem_get_heap_stats failed");
    FUZZ_CHECK(s.backend != nullptr && s.backend == commons_.backend(),
               "heap backend %s, the SDK's is %.*s", s.backend != nullptr ? s.backend : "(none)",
               static_cast<int>(commons_.backend().size()), commons_.backend().data());
    FUZZ_CHECK((s.degraded != 0) == (commons_.backend() == "locked"), "degraded %d on %s",
               s.degraded, s.backend);
    FUZZ_CHECK(s.mapped_bytes >= map_step && s.mapped_bytes % map_step == 0,
               "mapped %llu bytes: not whole map steps",
               static_cast<unsigned long long>(s.mapped_bytes));
    // The heap never gives secret memory back.
    FUZZ_CHECK(s.mapped_bytes >= last_mapped_, "mapped bytes went down: %llu after %llu",
               static_cast<unsigned long long>(s.mapped_bytes),
               static_cast<unsigned long long>(last_mapped_));
    last_mapped_ = s.mapped_bytes;
    std::uint64_t mine = 0;
    for (const auto& b : slots_) {
        if (b)
            mine += b->usable;
    }
    FUZZ_CHECK(s.allocated_bytes >= mine, "allocated %llu bytes, this thread alone holds %llu",
               static_cast<unsigned long long>(s.allocated_bytes),
               static_cast<unsigned long long>(mine));
    if (alone_) {
        FUZZ_CHECK(s.allocated_bytes <= s.mapped_bytes, "allocated %llu > mapped %llu",
                   static_cast<unsigned long long>(s.allocated_bytes),
                   static_cast<unsigned long long>(s.mapped_bytes));
    }
    FUZZ_CHECK(s.metadata_bytes > 0, "no metadata for a started heap");

    // Exact ownership: nothing outside the heap is its.
    int on_stack = 0;
    static int in_data = 0;
    const auto elsewhere = std::make_unique<int>(0);
    FUZZ_CHECK(secretmem_owns(&on_stack) == 0 && secretmem_owns(&in_data) == 0 &&
                   secretmem_owns(elsewhere.get()) == 0 && secretmem_owns(nullptr) == 0,
               "the heap claims memory that is not its own");
}

namespace {

// In a forked child: each block reads as the parent's (copy_on_fork, the
// default) or as zeros, and the heap still allocates.  No FUZZ_CHECK here: the
// child's crash would be libFuzzer's too; it exits with the verdict.
[[noreturn]] void check_in_child(std::span<const std::optional<heap_block>> slots, bool copy,
                                 std::size_t size)
{
    for (const auto& b : slots) {
        if (!b)
            continue;
        const std::size_t want = copy ? b->size : 0;
        if (pattern_mismatch(b->p, b->seed, 0, want) != want ||
            nonzero_at(b->p, want, b->usable) != b->usable) {
            std::fprintf(stderr, "fuzz: a forked child sees block %p (%zu bytes) %s\n",
                         static_cast<void*>(b->p), b->size,
                         copy ? "other than its parent's" : "holding its parent's data");
            ::_exit(1);
        }
    }
    void* p = secretmem_malloc(size);
    if (p == nullptr) {
        std::fprintf(stderr, "fuzz: a forked child cannot allocate %zu bytes\n", size);
        ::_exit(2);
    }
    std::memset(p, 0x5A, size);
    secretmem_free(p);
    ::_exit(0);
}

} // namespace

// fork() only with no other thread running, which could hold a lock (of
// ASan's allocator, say) that the child would wait on for ever (decode_ops()
// drops the op from two-thread inputs too).
void heap_worker::fork_and_check(std::uint16_t value)
{
    if (!alone_)
        return;
    const bool copy = (value & 1U) != 0;
    secretmem_heap_copy_on_fork(copy ? 1 : 0);
    const pid_t child = ::fork();
    if (child == 0)
        check_in_child(slots_, copy, 1 + (value >> 1U) % 4096);
    secretmem_heap_copy_on_fork(1); // the default
    FUZZ_CHECK(child > 0, "fork: %s", std::strerror(errno));
    int status = 0;
    FUZZ_CHECK(::waitpid(child, &status, 0) == child, "waitpid: %s", std::strerror(errno));
    FUZZ_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "the forked child (copy_on_fork %d) %s %d", copy ? 1 : 0,
               WIFEXITED(status) ? "exited with" : "died of signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    check_all();
}

void heap_worker::check_all()
{
    for (const auto& b : slots_) {
        if (b)
            check_contents(*b);
    }
    check_stats();
}

void heap_worker::check_and_free(const heap_block& b)
{
    free_block(b);
}

void heap_worker::free_all()
{
    check_all();
    for (std::uint8_t slot = 0; slot < slot_count; ++slot)
        drop(slot);
}

void heap_worker::run(const op_record& r)
{
    const auto slot = static_cast<std::uint8_t>(r.slot % slot_count);
    switch (r.kind) {
    case op::heap_malloc:
        make(slot, r.value);
        break;
    case op::heap_calloc:
        make_zeroed(r.slot, r.value);
        break;
    case op::heap_realloc:
        resize(slot, r.value);
        break;
    case op::heap_aligned_alloc:
        make_aligned(slot, r.value);
        break;
    case op::heap_free:
        drop(slot);
        break;
    case op::heap_rewrite:
        rewrite(slot, r.value);
        break;
    case op::heap_hand_off:
        hand_off(slot);
        break;
    case op::heap_adopt:
        adopt(slot);
        break;
    case op::heap_check:
        check_all();
        break;
    case op::heap_fork:
        fork_and_check(r.value);
        break;
    default:
        break;
    }
}

} // namespace secretmem::fuzz
