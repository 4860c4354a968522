// SPDX-License-Identifier: MIT
// Running real programs under the preload library and catching them at the
// moment they hold a secret: child processes with a chosen environment,
// pipes filled to capacity so that a write blocks, and the preload's exit
// report.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>

namespace secretmem::preload_test {

// libsecretmem-preload.so: $SECRETMEM_TEST_PRELOAD_LIB, else where meson
// builds it relative to this test program.  May not exist yet.
[[nodiscard]] std::filesystem::path preload_library();

// A file meson puts next to this test program (the workloads).
[[nodiscard]] std::filesystem::path beside_test(const std::string& name);

// The first of `candidates` that is an executable file, or "": a name
// without a slash is looked up in $PATH.
[[nodiscard]] std::string find_program(const std::vector<std::string>& candidates);

// Why a run under the preload library cannot happen here (it is not built,
// or the kernel has neither MAP_SECRET nor memfd_secret), or nothing.
[[nodiscard]] std::optional<std::string> preload_unavailable();

// SECRETMEM_REQUIRE_NATIVE=1 (the VM on the patched kernel): the report
// must say backend=native.
[[nodiscard]] bool native_required();

// The environment of a program under test: ours without any preload
// settings, plus `add`.  So that the control and the preload run differ in
// exactly what the test sets.
[[nodiscard]] std::vector<std::string>
clean_environment(const std::map<std::string, std::string>& add);

// Environment for a run under the preload library in `mode`, with the exit
// report on.
[[nodiscard]] std::map<std::string, std::string> preload_env(const std::string& mode);

// Where a child's standard streams go and its memlock limit, set in a chain:
// spawn_options().out(fd).err(path).
struct spawn_options {
    int stdin_fd = -1;                 // -1: /dev/null
    int stdout_fd = -1;                // -1: /dev/null
    std::filesystem::path stderr_path; // empty: /dev/null
    std::optional<rlim_t> memlock;     // RLIMIT_MEMLOCK, soft and hard
    bool own_session = false;          // setsid(), as a service manager starts a daemon

    spawn_options& in(int fd)
    {
        stdin_fd = fd;
        return *this;
    }
    spawn_options& out(int fd)
    {
        stdout_fd = fd;
        return *this;
    }
    spawn_options& err(std::filesystem::path path)
    {
        stderr_path = std::move(path);
        return *this;
    }
    spawn_options& memlock_limit(rlim_t bytes)
    {
        memlock = bytes;
        return *this;
    }
    spawn_options& session()
    {
        own_session = true;
        return *this;
    }
};

// A child process, killed and reaped if the test ends before it does.
class child {
public:
    // argv[0] is a path: nothing searches $PATH (see find_program).
    child(std::vector<std::string> argv, std::vector<std::string> env,
          const spawn_options& opts = {});
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    child(child&&) = delete;
    child& operator=(child&&) = delete;
    ~child();

    [[nodiscard]] pid_t pid() const { return pid_; }
    // The wait status; waits for the exit.
    int wait();
    // Whether it has exited (reaped), without waiting.
    bool exited();
    // Until the child sleeps in system call `nr` on a file descriptor that
    // /proc/PID/fd shows as `fd_target`: false when it exited or `timeout`
    // passed first.
    bool wait_blocked(long nr, const std::string& fd_target, std::chrono::milliseconds timeout);
    // Until the child sleeps in any of the system calls `nrs` (a server
    // idle in select() or poll()): false when it exited or `timeout`
    // passed first.
    bool wait_sleeping(const std::vector<long>& nrs, std::chrono::milliseconds timeout);
    // Until the child sleeps in openat() of `path` (a FIFO no one reads:
    // the open waits for a reader): false when it exited or `timeout`
    // passed first.
    bool wait_opening(const std::filesystem::path& path, std::chrono::milliseconds timeout);

private:
    // Until `matches` accepts /proc/PID/syscall while the child sleeps.
    bool wait_in_syscall(std::chrono::milliseconds timeout,
                         const std::function<bool(std::istream& syscall)>& matches);

    pid_t pid_ = -1;
    std::optional<int> status_;
};

// A pipe whose buffer is full, so that the first write to it blocks until
// drain() reads.
class full_pipe {
public:
    full_pipe();
    full_pipe(const full_pipe&) = delete;
    full_pipe& operator=(const full_pipe&) = delete;
    full_pipe(full_pipe&&) = delete;
    full_pipe& operator=(full_pipe&&) = delete;
    ~full_pipe();

    [[nodiscard]] int write_end() const { return write_fd_; }
    // Close our copy of the write end, once a child has its own.
    void close_write();
    // What /proc/PID/fd shows for either end: "pipe:[inode]".
    [[nodiscard]] std::string fd_target() const;
    // Everything written after the filler, up to end of file.
    [[nodiscard]] std::string drain();

private:
    int read_fd_ = -1;
    int write_fd_ = -1;
    std::size_t filler_ = 0;
};

class temp_dir {
public:
    temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    temp_dir(temp_dir&&) = delete;
    temp_dir& operator=(temp_dir&&) = delete;
    ~temp_dir();
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const
    {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

[[nodiscard]] std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

// The preload's exit report: "secretmem-preload: mode=... backend=... ...".
struct report {
    std::map<std::string, std::string> fields;
    std::string line;

    [[nodiscard]] std::string text(const std::string& key) const;
    // The number in field `key`; -1 when absent or not a number.
    [[nodiscard]] long long number(const std::string& key) const;
};
// gtest expectations on a report: its backend is a kernel one (native
// where native_required(), else native or fd), never the degraded one.
void expect_secret_backend(const report& r);

// The report among a child's stderr lines, if there is one.
[[nodiscard]] std::optional<report> find_report(const std::string& stderr_text);

// "exited 0", "killed by SIGSEGV"...
[[nodiscard]] std::string describe_status(int status);

} // namespace secretmem::preload_test
