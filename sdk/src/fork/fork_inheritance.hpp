// SPDX-License-Identifier: MIT
// What a forked child gets of this process's secret memory.
//
// Secret memory does not cross fork by itself: a MAP_SECRET range is
// zero-filled in the child, a memfd_secret mapping is not there at all
// (MADV_DONTFORK, so that it is never shared writable with the parent), the
// mlock fallback is zero-filled (MADV_WIPEONFORK) and no longer locked.  A
// pre-forking server (nginx, Apache, HAProxy) loads its keys and then forks
// its workers, which need them.  So every holder of secret memory (each SDK
// region, the secret heap) is a participant here, and at fork:
//
//  - in the parent, before fork: the registry's lock, then each
//    participant's hold(), which keeps its memory still and says what the
//    child gets (a copy, or fresh zero-filled secret memory);
//  - where the kernel can make the child's copy itself (MAP_SECRET memory,
//    MADV_KEEPONFORK), it is asked to, just before fork and for this fork
//    only: fork() then fills fresh secret pages of the child's, never through
//    the direct map, and nothing goes through user space;
//  - in the child, for the other ranges: each made secret memory of the
//    child's own again (backend::remake_after_fork), then filled from the
//    parent through the fork channel (fork_channel.hpp), then given its
//    protection back; a child that cannot get all of it exits with status
//    127 and a message rather than run on with secrets silently zeroed;
//  - in the parent, after fork: each copy sent, then every participant
//    released.
//
// posix_spawn(), vfork() and clone() without fork's handlers copy nothing,
// and exec() drops it all.  One lock order holds everywhere: jemalloc's
// (the secret heap's arenas), then the registry's, then a participant's; so
// nothing may allocate while holding the registry's lock or a participant's.
#pragma once

#include <secretmem/backend.hpp>
#include <secretmem/policy.hpp>

#include <cstddef>

namespace secretmem::fork_inheritance {

// One range of secret memory, as the child is to get it.
struct span {
    std::byte* base = nullptr;
    std::size_t length = 0;         // 0: nothing to hand over
    const backend* owner = nullptr; // what mapped it
    fork_behavior in_child = fork_behavior::copy;
    int prot = 0; // its protection now, which the child's range gets too
    // Set before fork when the kernel makes the child's copy itself
    // (backend::kernel_copies_on_fork): nothing to stream for this one.
    bool kernel_copies = false;
};

class participant {
public:
    participant(const participant&) = delete;
    participant& operator=(const participant&) = delete;
    participant(participant&&) = delete;
    participant& operator=(participant&&) = delete;

    // In the parent, before fork: keep the memory unchanged until release()
    // and say what the child gets.  Must not allocate (see above).
    [[nodiscard]] virtual span hold() noexcept = 0;
    // After fork, once the child's range is through (in the parent) or in
    // place (in the child, where hold()'s locks must be made usable again).
    virtual void release(bool in_child) noexcept = 0;

protected:
    participant() = default;
    ~participant() = default;

private:
    friend struct registry_access;
    participant* prev_ = nullptr;
    participant* next_ = nullptr;
    span held_;
};

// Take part in every fork from now on.  Allocates nothing, so the secret
// heap can enroll from inside malloc.  Thread-safe.
void enroll(participant& p) noexcept;

// No longer take part; call before the memory is unmapped.
void withdraw(participant& p) noexcept;

} // namespace secretmem::fork_inheritance
