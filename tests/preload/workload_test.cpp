// SPDX-License-Identifier: MIT
// Whole programs under SECRETMEM_PRELOAD=all: python3 and a threaded C++
// program work the heap hard and check their own results, so a wrong
// malloc, realloc or cross-thread free shows as a failure.  Each first takes
// a secret on stdin into large heap objects and holds it while the test
// scans its memory: found without the preload (the control), in no readable
// page under it.
#include "harness.hpp"
#include "memscan.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sys/random.h>
#include <unistd.h>

namespace ms = secretmem::memscan;
namespace pt = secretmem::preload_test;

namespace {

constexpr std::chrono::seconds patience{300};
constexpr std::size_t secret_size = 4096; // both workouts read this much

class fd_pair {
public:
    fd_pair()
    {
        std::array<int, 2> fds{};
        if (::pipe2(fds.data(), O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        read_ = fds[0];
        write_ = fds[1];
    }
    fd_pair(const fd_pair&) = delete;
    fd_pair& operator=(const fd_pair&) = delete;
    fd_pair(fd_pair&&) = delete;
    fd_pair& operator=(fd_pair&&) = delete;
    ~fd_pair()
    {
        close_read();
        close_write();
    }
    [[nodiscard]] int read_end() const { return read_; }
    [[nodiscard]] int write_end() const { return write_; }
    void close_read()
    {
        if (read_ >= 0)
            ::close(read_);
        read_ = -1;
    }
    void close_write()
    {
        if (write_ >= 0)
            ::close(write_);
        write_ = -1;
    }

private:
    int read_ = -1;
    int write_ = -1;
};

// Appends what `fd` has to `out` until `until` appears in it or end of
// file; false on a timeout.
bool read_until(int fd, std::string& out, const std::string& until)
{
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::array<char, 4096> buffer{};
    while (until.empty() || out.find(until) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            continue;
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n == 0)
            return until.empty();
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0)
            out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return true;
}

bool write_all(int fd, const void* data, std::size_t size)
{
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

struct held_run {
    ms::scan_result scan;
    std::vector<ms::hit> hits;
    int status = 0;
    std::string out;
    std::string err;
};

// Runs a workout with --hold: gives it a fresh secret, scans it while it
// holds the secret, lets it finish.
held_run run_workout(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, const std::string& label)
{
    pt::temp_dir dir;
    fd_pair in;
    fd_pair out;
    held_run run;
    ms::bytes secret(secret_size);
    if (::getrandom(secret.data(), secret.size(), 0) != static_cast<ssize_t>(secret.size()))
        throw std::system_error(errno, std::generic_category(), "getrandom");
    // Python holds the secret's hex too; any copy of the secret contains its
    // first 64 bytes.
    const ms::bytes head(secret.begin(), secret.begin() + 64);
    const std::string hex = ms::to_hex(std::span<const std::byte>(secret).first(32));
    const std::vector<ms::bytes> needles{
        head, ms::bytes(reinterpret_cast<const std::byte*>(hex.data()),
                        reinterpret_cast<const std::byte*>(hex.data()) + hex.size())};

    // Every heap byte is locked secret memory in mode all: far above the
    // default 8 MiB memlock limit.
    pt::child c(argv, pt::clean_environment(env),
                pt::spawn_options()
                    .in(in.read_end())
                    .out(out.write_end())
                    .err(dir / "stderr")
                    .memlock_limit(RLIM_INFINITY));
    in.close_read();
    out.close_write();
    const bool held = write_all(in.write_end(), secret.data(), secret.size()) &&
                      read_until(out.read_end(), run.out, "holding\n");
    if (held) {
        run.scan = ms::scan(c.pid(), needles);
        run.hits = run.scan.hits;
        write_all(in.write_end(), "go\n", 3);
    }
    in.close_write();
    read_until(out.read_end(), run.out, "");
    run.status = c.wait();
    run.err = pt::read_text(dir / "stderr");
    if (!held)
        ADD_FAILURE() << label << " never said it holds the secret:\n" << run.out << run.err;

    std::cout << "[" << label << "] scanned " << run.scan.mappings.size()
              << " mappings: " << run.scan.pages_read() << " pages read, "
              << run.scan.pages_failed() << " unreadable; " << run.hits.size()
              << " copies of the secret\n";
    for (const ms::hit& h : run.hits) {
        std::cout << "  " << (h.needle == 0 ? "bytes" : "hex") << " at "
                  << ms::describe(run.scan.mappings[h.mapping].map, h.address) << "\n";
    }
    if (const auto r = pt::find_report(run.err))
        std::cout << "[" << label << "] " << r->line << "\n";
    std::cout.flush();
    return run;
}

void expect_ran_ok(const held_run& run)
{
    EXPECT_EQ(pt::describe_status(run.status), "exited 0") << run.out << run.err;
    EXPECT_NE(run.out.find("heap-workout: ok"), std::string::npos) << run.out << run.err;
}

void expect_all_mode_report(const held_run& run)
{
    const auto report = pt::find_report(run.err);
    ASSERT_TRUE(report) << "no secretmem-preload report on stderr:\n" << run.err;
    EXPECT_EQ(report->text("mode"), "all") << report->line;
    pt::expect_secret_backend(*report);
    // A workout that allocates hundreds of MiB in total maps more than a
    // page of secret memory; anything less means malloc went elsewhere.
    EXPECT_GT(report->number("mapped"), 1 << 20) << report->line;
    EXPECT_GE(report->number("allocated"), 0) << report->line;
}

class Workout : public testing::Test {
protected:
    void SetUp() override
    {
        python_ = pt::find_program({"/usr/bin/python3", "python3"});
        cpp_ = pt::beside_test("preload-heap-workout");
        // A copy in a temporary directory: python reads its script into
        // malloc'd memory, which mode all makes secret, and the VM's 9p
        // root fills a read buffer by pinning it (GUP), which secret
        // memory refuses with EFAULT.  The guest's /tmp is tmpfs.
        script_ = dir_ / "heap_workout.py";
        std::filesystem::copy_file(pt::beside_test("heap_workout.py"), script_);
    }
    void require_preload()
    {
        if (const auto why = pt::preload_unavailable())
            GTEST_SKIP() << *why;
    }
    void require_python()
    {
        if (python_.empty())
            GTEST_SKIP() << "no python3";
    }
    [[nodiscard]] std::vector<std::string> python_argv() const
    {
        return {python_, script_.string(), "--hold"};
    }
    [[nodiscard]] std::vector<std::string> cpp_argv() const { return {cpp_.string(), "--hold"}; }

    std::string python_;
    std::filesystem::path cpp_;
    pt::temp_dir dir_;
    std::filesystem::path script_;
};

TEST_F(Workout, PythonControlRunsAndLeavesSecretReadable)
{
    require_python();
    const held_run run = run_workout(python_argv(), {}, "python3 control");
    expect_ran_ok(run);
    EXPECT_FALSE(run.hits.empty()) << "the control must find the secret, or the scan is broken";
}

TEST_F(Workout, PythonAllModeRunsWithSecretHeap)
{
    require_python();
    require_preload();
    const held_run run = run_workout(python_argv(), pt::preload_env("all"), "python3 all");
    expect_ran_ok(run);
    expect_all_mode_report(run);
    EXPECT_TRUE(run.hits.empty()) << run.hits.size() << " copies in readable memory";
    EXPECT_GT(run.scan.pages_failed(), 0U);
}

TEST_F(Workout, CppControlRunsAndLeavesSecretReadable)
{
    const held_run run = run_workout(cpp_argv(), {}, "heap-workout control");
    expect_ran_ok(run);
    EXPECT_FALSE(run.hits.empty()) << "the control must find the secret, or the scan is broken";
}

TEST_F(Workout, CppAllModeRunsWithSecretHeap)
{
    require_preload();
    const held_run run = run_workout(cpp_argv(), pt::preload_env("all"), "heap-workout all");
    expect_ran_ok(run);
    expect_all_mode_report(run);
    EXPECT_TRUE(run.hits.empty()) << run.hits.size() << " copies in readable memory";
    EXPECT_GT(run.scan.pages_failed(), 0U);
}

// explicit is the default mode: ordinary allocations stay with glibc, so
// the same secret is readable, and the program still runs.
TEST_F(Workout, CppExplicitModeLeavesOrdinaryHeapAlone)
{
    require_preload();
    const held_run run =
        run_workout(cpp_argv(), pt::preload_env("explicit"), "heap-workout explicit");
    expect_ran_ok(run);
    EXPECT_FALSE(run.hits.empty());
    const auto report = pt::find_report(run.err);
    ASSERT_TRUE(report) << run.err;
    EXPECT_EQ(report->text("mode"), "explicit") << report->line;
}

TEST_F(Workout, UnknownModeIsRefused)
{
    require_preload();
    pt::temp_dir dir;
    const std::string program = pt::find_program({"true"});
    ASSERT_FALSE(program.empty());
    pt::child c({program},
                pt::clean_environment({{"LD_PRELOAD", pt::preload_library().string()},
                                       {"SECRETMEM_PRELOAD", "everything"}}),
                pt::spawn_options().err(dir / "stderr"));
    const std::string status = pt::describe_status(c.wait());
    const std::string err = pt::read_text(dir / "stderr");
    EXPECT_EQ(status, "exited 2") << err;
    EXPECT_NE(err.find("everything"), std::string::npos)
        << "the message should name the value: " << err;
}

// OpenSSL's heaps go to the secret heap as the program starts: when that
// heap cannot start, the program stops there with the reason, rather than
// fail later in some OpenSSL call with a bare "malloc failure".
TEST_F(Workout, OpenSSLWithoutSecretMemoryStopsWithTheReason)
{
    require_preload();
    const std::string openssl = pt::find_program({"openssl"});
    if (openssl.empty())
        GTEST_SKIP() << "no openssl in PATH";
    pt::temp_dir dir;
    // A policy value the SDK refuses: the heap cannot start.
    pt::child c({openssl, "version"},
                pt::clean_environment({{"LD_PRELOAD", pt::preload_library().string()},
                                       {"SECRETMEM_ALLOW_DEGRADED", "perhaps"}}),
                pt::spawn_options().err(dir / "stderr"));
    const std::string status = pt::describe_status(c.wait());
    const std::string err = pt::read_text(dir / "stderr");
    EXPECT_NE(status, "exited 0") << err;
    EXPECT_NE(err.find("OpenSSL's heaps cannot be put in secret memory"), std::string::npos) << err;
    EXPECT_NE(err.find("SECRETMEM_ALLOW_DEGRADED is 'perhaps'"), std::string::npos)
        << "the message should carry the heap's reason: " << err;
    // The control: the same program with a valid setting runs.
    pt::child ok({openssl, "version"},
                 pt::clean_environment({{"LD_PRELOAD", pt::preload_library().string()}}),
                 pt::spawn_options().err(dir / "stderr.ok"));
    EXPECT_EQ(pt::describe_status(ok.wait()), "exited 0") << pt::read_text(dir / "stderr.ok");
}

} // namespace
