// SPDX-License-Identifier: MIT
#include "fork_inheritance.hpp"

#include "fork_channel.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

namespace secretmem::fork_inheritance {

struct registry_access {
    static participant*& next(participant& p) noexcept { return p.next_; }
    static participant*& prev(participant& p) noexcept { return p.prev_; }
    static span& held(participant& p) noexcept { return p.held_; }
};

namespace {

using access = registry_access;

constinit pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
constinit pthread_once_t handlers_installed = PTHREAD_ONCE_INIT;
constinit participant* first = nullptr;
// Whether this fork streams copies: decided before fork, read after.
constinit bool copying = false;

bool copied(const span& s) noexcept
{
    return s.length > 0 && s.in_child == fork_behavior::copy;
}

// Copied through the fork channel: the kernel does not do it.
bool streamed(const span& s) noexcept
{
    return copied(s) && !s.kernel_copies;
}

template <typename F>
void for_each(F&& f) noexcept
{
    for (participant* p = first; p != nullptr; p = access::next(*p))
        f(*p, access::held(*p));
}

[[noreturn]] void fail_in_child(const char* what, std::size_t length, int error) noexcept
{
    char reason[128];
    char message[320];
    const int n = std::snprintf(message, sizeof message,
                                "secretmem: a forked child %s (%zu KiB): %s; it exits rather than "
                                "run on without its secrets\n",
                                what, length >> 10, strerror_r(error, reason, sizeof reason));
    if (n > 0) {
        [[maybe_unused]] const ssize_t written =
            ::write(STDERR_FILENO, message, static_cast<std::size_t>(n));
    }
    ::_exit(127);
}

void before_fork() noexcept
{
    pthread_mutex_lock(&lock);
    bool any_copy = false;
    bool all_degraded = true;
    for_each([&](participant& p, span& held) {
        held = p.hold();
        held.kernel_copies =
            copied(held) && !held.owner->kernel_copies_on_fork(held.base, held.length, true);
        if (streamed(held)) {
            any_copy = true;
            all_degraded = all_degraded && held.owner->degraded();
        }
    });
    // A channel that cannot open leaves the child to fail closed.
    copying = any_copy;
    if (any_copy)
        (void)fork_channel::open(!all_degraded);
}

// Send one range; one the parent cannot read ends the channel, so that the
// child fails rather than take the next range's bytes for this one's.
void send(const span& s) noexcept
{
    const bool hidden = (s.prot & PROT_READ) == 0;
    if (hidden && ::mprotect(s.base, s.length, PROT_READ) != 0) {
        fork_channel::close();
        return;
    }
    (void)fork_channel::send(s.base, s.length);
    if (hidden)
        (void)::mprotect(s.base, s.length, s.prot);
}

// After fork, on either side: a later fork() that skips the handlers
// (clone() without them) copies nothing, as documented.
void stop_kernel_copy(const span& s) noexcept
{
    if (s.kernel_copies)
        (void)s.owner->kernel_copies_on_fork(s.base, s.length, false);
}

void after_fork_in_parent() noexcept
{
    if (copying) {
        for_each([](participant& /*p*/, const span& held) {
            if (streamed(held))
                send(held);
        });
        fork_channel::close();
    }
    for_each([](participant& /*p*/, const span& held) { stop_kernel_copy(held); });
    for_each([](participant& p, const span& /*held*/) { p.release(false); });
    pthread_mutex_unlock(&lock);
}

void remake_in_child(const span& s) noexcept
{
    if (const std::error_code ec = s.owner->remake_after_fork(s.base, s.length); ec)
        fail_in_child("cannot map its secret memory again", s.length, ec.value());
    if (streamed(s) && !fork_channel::receive(s.base, s.length))
        fail_in_child("cannot receive a copy of its secret memory", s.length, EPIPE);
    if (s.prot != (PROT_READ | PROT_WRITE) && ::mprotect(s.base, s.length, s.prot) != 0)
        fail_in_child("cannot protect its secret memory", s.length, errno);
}

void after_fork_in_child() noexcept
{
    for_each([](participant& /*p*/, const span& held) {
        if (held.kernel_copies) {
            stop_kernel_copy(held);
        } else if (held.length > 0) {
            remake_in_child(held);
        }
    });
    if (copying)
        fork_channel::close();
    for_each([](participant& p, const span& /*held*/) { p.release(true); });
    pthread_mutex_init(&lock, nullptr);
}

void install_handlers() noexcept
{
    if (pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) != 0) {
        static constexpr char message[] =
            "secretmem: cannot install fork handlers: forked children would run without their "
            "secrets\n";
        [[maybe_unused]] const ssize_t written =
            ::write(STDERR_FILENO, message, sizeof message - 1);
        std::abort();
    }
}

// Installed before the secret heap's jemalloc installs its own, which it
// does from a constructor of its own as libsecretmem-alloc loads: prepare
// handlers run in reverse order, so jemalloc's arena locks are taken first,
// and its parent and child handlers release them only after the copy.  The
// other way round, a thread growing the heap holds an arena lock while it
// waits for the heap's, which the forking thread holds while it waits for
// the arena lock: a deadlock.  The SDK's constructors run before those of
// the libraries that link it; in a static program, where all share one
// .init_array, the priority puts this one first.
[[gnu::constructor(101)]] void install_handlers_early() noexcept
{
    pthread_once(&handlers_installed, install_handlers);
}

} // namespace

void enroll(participant& p) noexcept
{
    pthread_once(&handlers_installed, install_handlers);
    pthread_mutex_lock(&lock);
    access::prev(p) = nullptr;
    access::next(p) = first;
    if (first != nullptr)
        access::prev(*first) = &p;
    first = &p;
    pthread_mutex_unlock(&lock);
}

void withdraw(participant& p) noexcept
{
    pthread_mutex_lock(&lock);
    if (access::prev(p) != nullptr) {
        access::next(*access::prev(p)) = access::next(p);
    } else if (first == &p) {
        first = access::next(p);
    }
    if (access::next(p) != nullptr) {
        access::prev(*access::next(p)) = access::prev(p);
    }
    access::prev(p) = nullptr;
    access::next(p) = nullptr;
    pthread_mutex_unlock(&lock);
}

} // namespace secretmem::fork_inheritance
