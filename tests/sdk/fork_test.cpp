// SPDX-License-Identifier: MIT
// What a forked child gets of a region: its own copy by default (the keys a
// pre-forking server's workers need), zeros with fork_behavior::wipe, and
// never the parent's pages: each side's later writes stay its own, and the
// child's copy is as secret as the parent's (the kernel refuses to read it
// through /proc/self/mem).  A child that cannot get its copy never runs;
// posix_spawn() copies nothing.
#include "../support/privileges.hpp"
#include "../support/proc.hpp"
#include "../support/sanitizer.hpp"
#include "backend_param.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace secretmem::test {
namespace {

constexpr char pattern[] = "correct horse battery staple";

// Exit codes a child reports its findings with.
enum : int {
    child_ok = 0,
    child_wrong_bytes = 10,
    child_readable = 11,
    child_not_mapped = 12,
    child_accessible = 13,
    child_fork_failed = 14,
};

// The child's exit status ("exited 3", "killed by signal 11").
std::string describe(int status)
{
    if (WIFEXITED(status))
        return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

// Runs `body` in a forked child; its exit status.
int in_child(const std::function<int()>& body)
{
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(body());
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

bool holds(const region& r, const char* text)
{
    const auto view = r.read();
    return std::memcmp(view.data(), text, std::strlen(text) + 1) == 0;
}

bool all_zero(const region& r)
{
    const auto view = r.read();
    for (const std::byte b : view.bytes()) {
        if (b != std::byte{0})
            return false;
    }
    return true;
}

void fill(region& r, const char* text)
{
    auto w = r.write();
    std::memcpy(w.data(), text, std::strlen(text) + 1);
}

class Fork : public EachBackend {
protected:
    [[nodiscard]] region allocate_with(fork_behavior on_fork) const
    {
        policy p = only_this();
        p.on_fork = on_fork;
        region r = region::allocate(sizeof(pattern), p);
        fill(r, pattern);
        return r;
    }

    // What a child checks of its copy: the bytes, that it is as secret as
    // the parent's, and that it is still inaccessible outside windows.
    [[nodiscard]] int check_copy(const region& r) const
    {
        const void* address = r.read().data();
        if (!mapping_perms(address))
            return child_not_mapped;
        if (mapping_perms(address) != "---p" && mapping_perms(address) != "---s")
            return child_accessible;
        if (!holds(r, pattern))
            return child_wrong_bytes;
        char out[sizeof(pattern)] = {};
        const auto open = r.read();
        const bool kernel_refuses = backend_for(GetParam()).protects().other_processes;
        if (kernel_refuses && read_proc_mem(0, open.data(), out, sizeof(out)) != EIO)
            return child_readable;
        return child_ok;
    }
};
SECRETMEM_FOR_EACH_BACKEND(Fork);

TEST_P(Fork, ChildGetsItsOwnCopyByDefault)
{
    const region r = allocate_with(policy{}.on_fork);
    const int status = in_child([&] { return check_copy(r); });
    EXPECT_EQ(status, 0) << "the child " << describe(status);
    EXPECT_TRUE(holds(r, pattern)) << "the parent's secret changed";
}

TEST_P(Fork, CopyIsNeverSharedWithTheParent)
{
    region r = allocate_with(fork_behavior::copy);
    int to_child[2];
    ASSERT_EQ(::pipe(to_child), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(to_child[1]);
        fill(r, "the child's own"); // must not reach the parent
        char go = 0;
        if (::read(to_child[0], &go, 1) != 1)
            ::_exit(child_fork_failed);
        // The parent has written its own bytes by now.
        ::_exit(holds(r, "the child's own") ? child_ok : child_wrong_bytes);
    }
    ASSERT_GT(pid, 0);
    ::close(to_child[0]);
    fill(r, "the parent's new secret");
    ASSERT_EQ(::write(to_child[1], "x", 1), 1);
    ::close(to_child[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(status, 0) << "the child " << describe(status);
    EXPECT_TRUE(holds(r, "the parent's new secret"));
}

TEST_P(Fork, WipeGivesTheChildZeros)
{
    region r = allocate_with(fork_behavior::wipe);
    const int status = in_child([&] {
        if (!all_zero(r))
            return child_wrong_bytes;
        fill(r, "usable");
        return holds(r, "usable") ? child_ok : child_wrong_bytes;
    });
    EXPECT_EQ(status, 0) << "the child " << describe(status);
    EXPECT_TRUE(holds(r, pattern));
}

// A worker that forks again (nginx's cache manager, a shell in a worker).
TEST_P(Fork, GrandchildGetsACopyToo)
{
    const region r = allocate_with(fork_behavior::copy);
    const int status = in_child([&] {
        const int grandchild = in_child([&] { return check_copy(r); });
        if (grandchild != 0)
            return WIFEXITED(grandchild) ? WEXITSTATUS(grandchild) : child_fork_failed;
        return check_copy(r);
    });
    EXPECT_EQ(status, 0) << "the child or grandchild " << describe(status);
}

// fork() from a process whose other threads keep opening and closing
// windows on the same region: the child's copy is whole, and its windows
// still work (the region's lock was not left held).
TEST_P(Fork, FromAThreadedProcessWhileWindowsOpenAndClose)
{
    const region r = allocate_with(fork_behavior::copy);
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    readers.reserve(2);
    for (int t = 0; t < 2; ++t) {
        readers.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed))
                (void)holds(r, pattern);
        });
    }
    int failures = 0;
    std::string last;
    for (int i = 0; i < 20; ++i) {
        const int status = in_child([&] { return check_copy(r); });
        if (status != 0) {
            ++failures;
            last = describe(status);
        }
    }
    stop = true;
    for (auto& t : readers)
        t.join();
    EXPECT_EQ(failures, 0) << "last failure: the child " << last;
}

// Bytes this process has locked (VmLck), secret memory included.
rlim_t locked_now()
{
    std::ifstream status_file("/proc/self/status");
    std::string line;
    while (std::getline(status_file, line)) {
        if (line.rfind("VmLck:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

// With RLIMIT_MEMLOCK at what is locked now (and CAP_IPC_LOCK dropped, so
// that it holds for root too), the channel the copy goes through cannot be
// set up.  The forked child must not run on with zeros where its secret
// was; a posix_spawn()ed program, which copies nothing, runs.  In a child of
// the test, since the limit cannot be raised again.
// The child's copy comes through the fork channel, whose buffer is locked
// memory: at the memlock limit there is none.  On native the kernel makes
// the copy at fork() (MADV_KEEPONFORK) and needs no buffer: the next test.
TEST_P(Fork, ChildThatCannotGetItsCopyNeverRuns)
{
    if (GetParam() == backend_kind::native)
        GTEST_SKIP() << "the kernel copies native ranges at fork(), whatever the memlock limit";
    // The locked backend's channel is mlock'd memory, which a sanitizer's
    // stub never charges to the limit.
    if (GetParam() == backend_kind::locked && mlock_is_a_stub)
        GTEST_SKIP() << "mlock(2) is a stub under this sanitizer: no memlock limit to meet";
    const region r = allocate_with(fork_behavior::copy);
    enum : int { spawn_failed = 20, spawn_exit_wrong = 21, forked_child_ran = 22 };
    const int status = in_child([&] {
        limit_memlock(locked_now() + 4096);
        const int forked = in_child([&] { return check_copy(r); });
        if (!WIFEXITED(forked) || WEXITSTATUS(forked) != 127)
            return static_cast<int>(forked_child_ran);
        pid_t spawned = -1;
        char* const argv[] = {const_cast<char*>("true"), nullptr};
        if (::posix_spawnp(&spawned, "true", nullptr, nullptr, argv, environ) != 0)
            return static_cast<int>(spawn_failed);
        int spawn_status = -1;
        (void)::waitpid(spawned, &spawn_status, 0);
        return spawn_status == 0 ? child_ok : static_cast<int>(spawn_exit_wrong);
    });
    EXPECT_NE(status, forked_child_ran << 8)
        << "a child that could not get its copy must exit 127, not run";
    EXPECT_EQ(status, 0) << "the test's child " << describe(status);
    EXPECT_TRUE(holds(r, pattern));
}

// On native the kernel makes the child's copy: at the memlock limit, where
// the fork channel cannot open (the test above), the child still gets it.
TEST_P(Fork, KernelCopiesNativeRangesWithoutTheChannel)
{
    if (GetParam() != backend_kind::native)
        GTEST_SKIP() << "only mmap(MAP_SECRET) memory can be copied by the kernel";
    const region r = allocate_with(fork_behavior::copy);
    const int status = in_child([&] {
        limit_memlock(locked_now() + 4096);
        const int forked = in_child([&] { return check_copy(r); });
        return WIFEXITED(forked) ? WEXITSTATUS(forked) : static_cast<int>(child_fork_failed);
    });
    EXPECT_EQ(status, 0) << "the child, at the memlock limit, " << describe(status)
                         << " (127: it had to wait for a copy through the fork channel)";
    EXPECT_TRUE(holds(r, pattern));
}

} // namespace
} // namespace secretmem::test
