// SPDX-License-Identifier: MIT
// Layout of a region: [guard page][data pages][guard page], reserved as one
// PROT_NONE range so the guards are never secret memory themselves (they
// would be charged to RLIMIT_MEMLOCK for nothing); the backend then maps the
// data pages over the middle with MAP_FIXED.
#include <secretmem/error.hpp>
#include <secretmem/region.hpp>
#include <secretmem/testing.hpp>

#include "errno_text.hpp"
#include "fork/fork_inheritance.hpp"
#include "page.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>

namespace secretmem {
namespace detail {

// A region takes part in fork (fork_inheritance.hpp): while one is under
// way, its lock keeps windows from changing the protection, and nothing
// allocates while holding it.
struct region_state final : fork_inheritance::participant {
    std::byte* reservation = nullptr; // first guard page
    std::size_t reserved = 0;         // both guards and the data
    std::byte* data = nullptr;
    std::size_t capacity = 0; // data, whole pages
    std::size_t size = 0;     // as asked for
    const secretmem::backend* owner = nullptr;
    fork_behavior on_fork = fork_behavior::copy;

    std::mutex lock;            // guards everything below
    access base = access::none; // set by protect()
    access applied = access::read_write;
    unsigned readers = 0;
    unsigned writers = 0;
    // Which threads hold the open windows.  A child of fork() has only the
    // thread that forked, so only that thread's windows stay open there.
    // Threads past these few are counted above only: their windows close in
    // a child.
    struct thread_windows {
        pthread_t thread{};
        unsigned readers = 0;
        unsigned writers = 0;
    };
    std::array<thread_windows, 8> by_thread{};

    region_state() = default;
    region_state(const region_state&) = delete;
    region_state& operator=(const region_state&) = delete;
    region_state(region_state&&) = delete;
    region_state& operator=(region_state&&) = delete;
    ~region_state() = default;

    [[nodiscard]] fork_inheritance::span hold() noexcept override;
    void release(bool in_child) noexcept override;
};

namespace {

std::atomic<testing::release_observer> release_observer{nullptr};

int prot_of(access level) noexcept
{
    switch (level) {
    case access::none:
        return PROT_NONE;
    case access::read:
        return PROT_READ;
    case access::read_write:
        break;
    }
    return PROT_READ | PROT_WRITE;
}

access wanted(const region_state& s) noexcept
{
    if (s.writers > 0 || s.base == access::read_write)
        return access::read_write;
    if (s.readers > 0 || s.base == access::read)
        return access::read;
    return access::none;
}

// Bring the page protection in line with what is wanted; caller holds the lock.
std::error_code apply(region_state& s) noexcept
{
    const access target = wanted(s);
    if (target == s.applied)
        return {};
    if (::mprotect(s.data, s.capacity, prot_of(target)) != 0)
        return {errno, std::system_category()};
    s.applied = target;
    return {};
}

unsigned& counter(region_state& s, access level) noexcept
{
    return level == access::read ? s.readers : s.writers;
}

unsigned& counter(region_state::thread_windows& t, access level) noexcept
{
    return level == access::read ? t.readers : t.writers;
}

// This thread's entry in by_thread, taking a free one if it has none; null
// when all are taken by others.
region_state::thread_windows* this_thread(region_state& s, bool take_free) noexcept
{
    const pthread_t self = ::pthread_self();
    region_state::thread_windows* free = nullptr;
    for (auto& t : s.by_thread) {
        const bool in_use = t.readers + t.writers > 0;
        if (in_use && ::pthread_equal(t.thread, self) != 0)
            return &t;
        if (!in_use && free == nullptr)
            free = &t;
    }
    if (free != nullptr && take_free)
        free->thread = self;
    return take_free ? free : nullptr;
}

void count_open(region_state& s, access level) noexcept
{
    ++counter(s, level);
    if (region_state::thread_windows* mine = this_thread(s, true); mine != nullptr)
        ++counter(*mine, level);
}

void count_close(region_state& s, access level) noexcept
{
    // A window opened before fork by a thread this child does not have was
    // already closed by keep_this_threads_windows().
    if (counter(s, level) == 0)
        return;
    --counter(s, level);
    if (region_state::thread_windows* mine = this_thread(s, false);
        mine != nullptr && counter(*mine, level) > 0)
        --counter(*mine, level);
}

void keep_this_threads_windows(region_state& s) noexcept
{
    const region_state::thread_windows* mine = this_thread(s, false);
    s.readers = mine != nullptr ? std::min(mine->readers, s.readers) : 0;
    s.writers = mine != nullptr ? std::min(mine->writers, s.writers) : 0;
    const region_state::thread_windows kept =
        mine != nullptr ? *mine : region_state::thread_windows{};
    s.by_thread = {};
    s.by_thread[0] = kept;
}

[[noreturn]] void die(const char* what, std::error_code ec = {}) noexcept
{
    // Carrying on would leave a secret readable, or a window pointing into
    // unmapped memory: neither may happen silently.
    std::fprintf(stderr, "secretmem: fatal: %s%s%s\n", what, ec ? ": " : "",
                 ec ? ec.message().c_str() : "");
    std::abort();
}

} // namespace

fork_inheritance::span region_state::hold() noexcept
{
    lock.lock();
    return {data, capacity, owner, on_fork, prot_of(applied)};
}

void region_state::release(bool in_child) noexcept
{
    if (in_child) {
        keep_this_threads_windows(*this);
        if (const std::error_code ec = apply(*this); ec)
            die("cannot take access back from a forked child's closed windows", ec);
    }
    // The child has one thread, the one that forked and holds the lock.
    lock.unlock();
}

std::byte* open_window(region_state& state, access level)
{
    std::error_code ec;
    {
        const std::scoped_lock guard(state.lock);
        count_open(state, level);
        ec = apply(state);
        if (ec)
            count_close(state, level);
    }
    // The message is built outside the lock (nothing allocates under it).
    if (ec) {
        throw error(ec,
                    "cannot open an access window: mprotect failed with " + errno_text(ec.value()));
    }
    return state.data;
}

void close_window(region_state& state, access level) noexcept
{
    const std::scoped_lock guard(state.lock);
    count_close(state, level);
    if (const std::error_code ec = apply(state); ec)
        die("cannot take access back when closing a window", ec);
}

} // namespace detail

namespace testing {
void set_release_observer(release_observer observer) noexcept
{
    detail::release_observer.store(observer);
}
} // namespace testing

region region::allocate(std::size_t size, const policy& p)
{
    if (size == 0) {
        throw error(std::make_error_code(std::errc::invalid_argument),
                    "a secret region needs a size of at least one byte");
    }
    const std::size_t page = detail::page_size();
    const std::size_t capacity = detail::round_up_to_page(size);
    if (capacity < size || capacity > SIZE_MAX - 2 * page) {
        throw error(std::make_error_code(std::errc::value_too_large),
                    "a secret region of " + std::to_string(size) + " bytes cannot be addressed");
    }

    auto state = std::make_unique<detail::region_state>();
    state->reserved = capacity + 2 * page;
    void* base = ::mmap(nullptr, state->reserved, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        throw error({errno, std::system_category()},
                    "cannot reserve address space for a secret region: " +
                        detail::errno_text(errno));
    }
    state->reservation = static_cast<std::byte*>(base);
    state->data = state->reservation + page;
    state->capacity = capacity;
    state->size = size;

    try {
        state->owner = &map_secret_at(state->data, capacity, p);
        state->on_fork = p.on_fork;
    } catch (...) {
        // A backend that fails leaves the range mapped or reserved, never a
        // hole (backend.hpp), so the whole range is still ours to unmap.
        ::munmap(state->reservation, state->reserved);
        throw;
    }
    region r(std::move(state));
    r.protect(access::none);
    fork_inheritance::enroll(*r.state_);
    return r;
}

region::region(std::unique_ptr<detail::region_state> state) noexcept : state_(std::move(state)) {}

region::region() noexcept = default;
region::region(region&& other) noexcept = default;

region& region::operator=(region&& other) noexcept
{
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
    }
    return *this;
}

region::~region()
{
    release();
}

void region::release() noexcept
{
    if (!state_)
        return;
    detail::region_state& s = *state_;
    if (s.readers + s.writers > 0)
        detail::die("secret region destroyed while access windows are open");
    // Waits for a fork under way to finish copying the region.
    fork_inheritance::withdraw(s);
    if (::mprotect(s.data, s.capacity, PROT_READ | PROT_WRITE) != 0) {
        detail::die("cannot make a secret region writable to wipe it",
                    {errno, std::system_category()});
    }
    ::explicit_bzero(s.data, s.capacity);
    if (const auto observer = detail::release_observer.load(); observer != nullptr)
        observer({s.data, s.capacity});
    ::munmap(s.reservation, s.reserved);
    state_.reset();
}

namespace {
detail::region_state& checked(const std::unique_ptr<detail::region_state>& state)
{
    if (!state)
        throw error(errc::empty_region, "this secret region was moved from");
    return *state;
}
} // namespace

std::size_t region::size() const noexcept
{
    return state_ ? state_->size : 0;
}

backend_kind region::backend() const
{
    return checked(state_).owner->kind();
}

bool region::degraded() const
{
    return checked(state_).owner->degraded();
}

void region::protect(access level)
{
    detail::region_state& s = checked(state_);
    std::error_code ec;
    {
        const std::scoped_lock guard(s.lock);
        const access previous = s.base;
        s.base = level;
        ec = detail::apply(s);
        if (ec)
            s.base = previous;
    }
    if (ec) {
        throw error(ec,
                    "mprotect of a secret region failed with " + detail::errno_text(ec.value()));
    }
}

access region::current_access() const
{
    detail::region_state& s = checked(state_);
    const std::scoped_lock guard(s.lock);
    return s.applied;
}

read_window region::read() const
{
    detail::region_state& s = checked(state_);
    return {s, s.size};
}

write_window region::write()
{
    detail::region_state& s = checked(state_);
    return {s, s.size};
}

} // namespace secretmem
