// SPDX-License-Identifier: MIT
// The parts of `secretmem run` that a run on this host cannot corner: the
// reports' fields and how each process is named, what is said and the exit
// status for every kind of ending, the report file the program inherits,
// the child's environment, the command line.
#include "child_environment.hpp"
#include "child_process.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "preload_report.hpp"
#include "report_file.hpp"
#include "run_options.hpp"
#include "run_verdict.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace secretmem::cli {
namespace {

constexpr std::string_view report_line =
    "secretmem-preload: mode=all backend=fd degraded=no mapped=2097152 allocated=4096 "
    "metadata=65536 secure_heap_allocs=3 secure_heap_peak=128 openssl_heap=secret "
    "openssl_heap_peak=512 pid=4242 comm=prog";

// report_line as the shim wrote it in another process.
std::string line_of(std::string_view pid, std::string_view comm, std::string_view backend = "fd")
{
    std::string line(report_line.substr(0, report_line.find(" pid=")));
    const std::string_view fd = "backend=fd";
    line.replace(line.find(fd), fd.size(), "backend=" + std::string(backend));
    return line + " pid=" + std::string(pid) + " comm=" + std::string(comm);
}

preload_report report_of(long pid, std::string_view comm, std::string_view backend = "fd")
{
    auto r = parse_report(line_of(std::to_string(pid), comm, backend));
    EXPECT_TRUE(r.has_value());
    return r.value_or(preload_report{});
}

TEST(ParseReport, ReadsEveryField)
{
    const auto r = parse_report(report_line);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->mode, "all");
    EXPECT_EQ(r->backend, "fd");
    EXPECT_FALSE(r->degraded);
    EXPECT_EQ(r->mapped, 2097152U);
    EXPECT_EQ(r->allocated, 4096U);
    EXPECT_EQ(r->metadata, 65536U);
    EXPECT_EQ(r->secure_heap_allocations, 3U);
    EXPECT_EQ(r->secure_heap_peak, 128U);
    EXPECT_EQ(r->openssl_heap, "secret");
    EXPECT_EQ(r->openssl_heap_peak, 512U);
    EXPECT_EQ(r->pid, 4242);
    EXPECT_EQ(r->comm, "prog");
    EXPECT_TRUE(r->used_secret_memory());
}

TEST(ParseReport, ReadsTheLineOfAShimThatNamesNoProcess)
{
    const auto r = parse_report(report_line.substr(0, report_line.find(" pid=")));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->pid, 0);
    EXPECT_EQ(r->comm, "");
    EXPECT_EQ(r->openssl_heap_peak, 512U);
}

TEST(ParseReport, TakesNoPidThatCannotBeOne)
{
    for (const std::string_view pid : {"99999999999", "-3", "12x", ""}) {
        const auto r = parse_report(line_of(pid, "prog"));
        ASSERT_TRUE(r.has_value()) << pid;
        EXPECT_EQ(r->pid, 0) << pid;
    }
}

TEST(ParseReport, RefusesWhatIsNotAReport)
{
    EXPECT_FALSE(parse_report("secretmem-preload: mode=all"));
    EXPECT_FALSE(parse_report("secretmem-preload: mode=all backend=fd degraded=maybe mapped=1"));
    EXPECT_FALSE(parse_report("secretmem-preload: mode=all backend=fd degraded=no mapped=1x"));
    EXPECT_FALSE(parse_report("mode=all backend=fd degraded=no mapped=1"));
}

TEST(ParseReports, TakesEveryReportInOrderAndSkipsTheRest)
{
    const std::string text = line_of("10", "sh") + "\nsomething else\n\n" +
                             line_of("11", "cli-heap-probe") + "\nsecretmem-preload: mode=bogus\n" +
                             line_of("12", "last");
    const std::vector<preload_report> reports = parse_reports(text);
    ASSERT_EQ(reports.size(), 3U);
    EXPECT_EQ(reports[0].pid, 10);
    EXPECT_EQ(reports[0].comm, "sh");
    EXPECT_EQ(reports[1].pid, 11);
    EXPECT_EQ(reports[1].comm, "cli-heap-probe");
    EXPECT_EQ(reports[2].pid, 12);
    EXPECT_TRUE(parse_reports("").empty());
    EXPECT_TRUE(parse_reports("\n\nnothing\n").empty());
}

struct verdict {
    std::string said;
    int status = 0;
};

verdict conclude_on(std::string_view program, pid_t pid, int wait_status,
                    std::vector<preload_report> reports, const backend* expected = nullptr,
                    bool native_required = false)
{
    const run_outcome o{program, pid, wait_status, std::move(reports), expected, native_required};
    std::ostringstream out;
    const int status = conclude(o, out);
    return {out.str(), status};
}

bool says(const verdict& v, std::string_view text)
{
    return v.said.find(text) != std::string::npos;
}

constexpr int exited_0 = 0;
constexpr int exited_3 = 3 << 8;

TEST(Conclude, NamesTheProgramAsGivenWhenItAloneReported)
{
    const verdict v = conclude_on("./prog", 4242, exited_3, {report_of(4242, "prog")});
    EXPECT_TRUE(
        says(v, "secretmem run: ./prog's secret heap held 2 MiB out of the kernel's direct map"))
        << v.said;
    EXPECT_FALSE(says(v, "pid")) << v.said;
    EXPECT_FALSE(says(v, "WARNING")) << v.said;
    EXPECT_EQ(v.status, 3);
}

TEST(Conclude, NamesTheProgramUnderTheKernelsShortName)
{
    const verdict v = conclude_on("/opt/bin/a-program-with-a-long-name", 7, exited_0,
                                  {report_of(7, "a-program-with-")});
    EXPECT_TRUE(says(v, "secretmem run: /opt/bin/a-program-with-a-long-name's secret heap held"))
        << v.said;
}

TEST(Conclude, NamesByPidWhatTheProgramBecameOrStarted)
{
    // sh executed the probe (the same pid, another name), or forked it and
    // ended with _exit (another pid, and no report of its own).
    for (const long pid : {4242L, 4243L}) {
        const verdict v = conclude_on("sh", 4242, exited_0, {report_of(pid, "cli-heap-probe")});
        EXPECT_TRUE(says(v, "secretmem run: cli-heap-probe (pid " + std::to_string(pid) +
                                ")'s secret heap held"))
            << v.said;
        EXPECT_FALSE(says(v, "WARNING")) << v.said;
        EXPECT_EQ(v.status, 0);
    }
}

TEST(Conclude, NamesEachOfSeveralByItsPid)
{
    const verdict v = conclude_on("prog", 100, exited_0,
                                  {report_of(101, "prog"), report_of(100, "prog"),
                                   parse_report(report_line.substr(0, report_line.find(" pid=")))
                                       .value_or(preload_report{})});
    EXPECT_TRUE(says(v, "secretmem run: 3 processes exited under the shim, prog (pid 100) and "
                        "what it started:\n"))
        << v.said;
    const std::size_t child = v.said.find("\n  prog (pid 101)'s secret heap held");
    const std::size_t parent = v.said.find("\n  prog (pid 100)'s secret heap held");
    EXPECT_NE(child, std::string::npos) << v.said;
    EXPECT_NE(parent, std::string::npos) << v.said;
    EXPECT_LT(child, parent) << "not in the order they exited:\n" << v.said;
    EXPECT_TRUE(says(v, "\n  process 3's secret heap held")) << v.said;
}

// A wrapper script's shells and helpers held nothing: one line for all of
// them, by name, after the processes that did hold secrets.
TEST(Conclude, FoldsProcessesThatHeldNothing)
{
    preload_report nothing = report_of(201, "bash");
    nothing.backend = "none";
    nothing.mapped = 0;
    nothing.openssl_heap = "none";
    nothing.secure_heap_allocations = 0;
    preload_report other = nothing;
    other.pid = 202;
    preload_report helper = nothing;
    helper.pid = 203;
    helper.comm = "readlink";
    const verdict v =
        conclude_on("wrapper", 200, exited_0, {nothing, other, helper, report_of(200, "python3")});
    EXPECT_TRUE(says(v, "\n  python3 (pid 200)'s secret heap held")) << v.said;
    EXPECT_TRUE(says(v, "\n  3 other processes held no secrets and used no secret memory: "
                        "bash x2, readlink\n"))
        << v.said;
    EXPECT_FALSE(says(v, "bash (pid 201)")) << v.said;
}

// Where a libcrypto bypassed the shim, the report says its keys were not
// protected, whatever the heap held.
TEST(Conclude, SaysWhenOpenSSLsKeysWereNotProtected)
{
    preload_report r = report_of(300, "prog");
    r.openssl_heap = "unreached";
    const verdict v = conclude_on("prog", 300, exited_0, {r});
    EXPECT_TRUE(says(v, "WARNING: prog's OpenSSL keys were NOT protected")) << v.said;
}

TEST(Conclude, WarnsOfNoReportOnlyWhenNoProcessReported)
{
    const verdict none = conclude_on("sh", 50, exited_3, {});
    EXPECT_TRUE(says(none, "WARNING: sh exited without the shim's report, and nothing it "
                           "started\n  reported either"))
        << none.said;
    EXPECT_EQ(none.status, 3);
    EXPECT_EQ(conclude_on("sh", 50, exited_3, {}, nullptr, true).status, run_failed);

    const verdict one = conclude_on("sh", 50, exited_3, {report_of(51, "prog")});
    EXPECT_FALSE(says(one, "WARNING")) << one.said;
    EXPECT_EQ(one.status, 3);
}

TEST(Conclude, NamesTheProcessWhoseSecretsMissedTheExpectedBackend)
{
    const backend& native = backend_for(backend_kind::native);
    const std::vector<preload_report> reports{report_of(60, "prog", "native"),
                                              report_of(61, "prog", "fd")};
    const verdict warned = conclude_on("prog", 60, exited_0, reports, &native);
    EXPECT_TRUE(says(warned, "WARNING: prog (pid 61)'s secrets were in fd memory although "
                             "native"))
        << warned.said;
    EXPECT_FALSE(says(warned, "(pid 60)'s secrets")) << warned.said;
    EXPECT_EQ(warned.status, 0);

    const verdict refused = conclude_on("prog", 60, exited_0, reports, &native, true);
    EXPECT_TRUE(says(refused, "ERROR: prog (pid 61)'s secrets were in fd memory")) << refused.said;
    EXPECT_EQ(refused.status, run_failed);
}

TEST(Conclude, SaysAKilledProgramCouldNotReport)
{
    // Its child reported, but the program itself was killed before it could.
    const verdict v = conclude_on("prog", 70, SIGTERM, {report_of(71, "prog")});
    EXPECT_TRUE(says(v, "prog was killed by SIGTERM")) << v.said;
    EXPECT_TRUE(says(v, "before the shim could report")) << v.said;
    EXPECT_EQ(v.status, killed_base + SIGTERM);
}

TEST(ReportFile, IsReadFromItsStartAndSaysWhenItHoldsMore)
{
    const report_file file;
    const std::string_view text = "0123456789";
    ASSERT_EQ(::write(file.fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
    const report_file::contents all = file.read(100);
    EXPECT_EQ(all.text, text);
    EXPECT_FALSE(all.truncated);
    const report_file::contents some = file.read(4);
    EXPECT_EQ(some.text, "0123");
    EXPECT_TRUE(some.truncated);
    // Our reads leave the shared position where the writers left it.
    EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), static_cast<off_t>(text.size()));
}

TEST(ReportFile, NeverTakesTheNumberOfAStandardStream)
{
    const int saved = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(::close(STDIN_FILENO), 0);
    int number = -1;
    {
        const report_file file;
        number = file.fd();
    }
    ASSERT_EQ(::dup2(saved, STDIN_FILENO), STDIN_FILENO);
    (void)::close(saved);
    EXPECT_GT(number, STDERR_FILENO);
}

TEST(RunSupervised, GivesTheProgramTheFileAndTheParentKeepsItCloseOnExec)
{
    const report_file file;
    const std::string fd = std::to_string(file.fd());
    // Two writers at once, a forked child and its parent: both lines land
    // whole, neither over the other, because they share one file position.
    const child_exit ended =
        run_supervised({"sh", "-c", "echo child >&$FD & echo parent >&$FD; wait"},
                       {"FD=" + fd, "PATH=/usr/bin:/bin"}, file.fd());
    ASSERT_TRUE(WIFEXITED(ended.wait_status)) << ended.wait_status;
    EXPECT_EQ(WEXITSTATUS(ended.wait_status), 0);
    EXPECT_GT(ended.pid, 0);
    const std::string text = file.read(100).text;
    EXPECT_TRUE(text == "child\nparent\n" || text == "parent\nchild\n") << text;
    EXPECT_NE(::fcntl(file.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(RunSupervised, PassesTheProgramsStatusOn)
{
    const report_file file;
    const child_exit ended = run_supervised({"sh", "-c", "exit 9"}, {}, file.fd());
    ASSERT_TRUE(WIFEXITED(ended.wait_status));
    EXPECT_EQ(WEXITSTATUS(ended.wait_status), 9);
}

TEST(RunSupervised, SaysWhyAProgramCannotStart)
{
    const report_file file;
    try {
        (void)run_supervised({"/nonexistent/program"}, {}, file.fd());
        ADD_FAILURE() << "a program that does not exist ran";
    } catch (const spawn_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
    }
}

TEST(Describe, NamesTheBackendAndTheAmount)
{
    const auto r = parse_report(report_line);
    ASSERT_TRUE(r.has_value());
    const std::vector<std::string> lines = describe(*r, "prog");
    ASSERT_GE(lines.size(), 2U);
    EXPECT_NE(lines[0].find("in fd (memfd_secret"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("mapped 2 MiB"), std::string::npos) << lines[1];
}

TEST(Describe, SaysDegradedMemoryIsDegraded)
{
    auto r = parse_report(report_line);
    ASSERT_TRUE(r.has_value());
    r->backend = "locked";
    r->degraded = true;
    const std::vector<std::string> lines = describe(*r, "prog");
    EXPECT_NE(lines.at(0).find("WARNING"), std::string::npos) << lines.at(0);
    EXPECT_NE(lines.at(0).find("direct map"), std::string::npos) << lines.at(0);
}

TEST(ChildEnvironment, SetsTheShimFirstAndReplacesItsVariables)
{
    const std::array<const char*, 7> current{"HOME=/root",
                                             "PATH=/bin",
                                             "LD_PRELOAD=/old/libsecretmem-preload.so:libother.so",
                                             "SECRETMEM_PRELOAD=bogus",
                                             "SECRETMEM_ALLOW_DEGRADED=1",
                                             "SECRETMEM_PRELOAD_REPORT_FD=1",
                                             nullptr};
    const shim_settings settings{"/new/libsecretmem-preload.so", "all", "secure-heap", false, 7};
    const std::vector<std::string> env = child_environment(current.data(), settings);
    const auto has = [&](const std::string& entry) {
        return std::find(env.begin(), env.end(), entry) != env.end();
    };
    EXPECT_TRUE(has("HOME=/root"));
    EXPECT_TRUE(has("PATH=/bin"));
    EXPECT_TRUE(has("LD_PRELOAD=/new/libsecretmem-preload.so:libother.so"));
    EXPECT_TRUE(has("SECRETMEM_PRELOAD=all"));
    EXPECT_TRUE(has("SECRETMEM_PRELOAD_OPENSSL=secure-heap"));
    EXPECT_TRUE(has("SECRETMEM_PRELOAD_REPORT=1"));
    EXPECT_TRUE(has("SECRETMEM_ALLOW_DEGRADED=0"));
    EXPECT_TRUE(has("SECRETMEM_PRELOAD_REPORT_FD=7"));
    EXPECT_FALSE(has("SECRETMEM_PRELOAD=bogus"));
    EXPECT_FALSE(has("SECRETMEM_PRELOAD_REPORT_FD=1"));
    EXPECT_EQ(env.size(), 8U);
}

TEST(ChildEnvironment, LeavesTheReportOnStderrWithoutAFile)
{
    const std::array<const char*, 2> current{"SECRETMEM_PRELOAD_REPORT_FD=1", nullptr};
    const shim_settings settings{"/lib/libsecretmem-preload.so", "all", "all", false};
    for (const std::string& entry : child_environment(current.data(), settings)) {
        EXPECT_FALSE(entry.starts_with("SECRETMEM_PRELOAD_REPORT_FD=")) << entry;
    }
}

TEST(ChildEnvironment, KnowsWhatLdPreloadCannotCarry)
{
    EXPECT_TRUE(preloadable("/usr/lib/libsecretmem-preload.so"));
    EXPECT_FALSE(preloadable("/my libs/libsecretmem-preload.so"));
    EXPECT_FALSE(preloadable("/a:b/libsecretmem-preload.so"));
}

std::vector<std::string_view> words(std::initializer_list<std::string_view> list)
{
    return {list};
}

TEST(RunOptions, StopAtTheCommand)
{
    const auto args = words({"--all", "--openssl", "secure-heap", "prog", "--all", "x"});
    const run_options o = parse_run_options(args);
    EXPECT_EQ(o.mode, "all");
    EXPECT_EQ(o.openssl, "secure-heap");
    EXPECT_EQ(o.command, (std::vector<std::string>{"prog", "--all", "x"}));
}

TEST(RunOptions, RefuseWhatTheyCannotDo)
{
    for (const auto& args :
         {words({}), words({"--all"}), words({"--all", "--"}), words({"--all", "--explicit", "x"}),
          words({"--bogus", "x"}), words({"--openssl=none", "x"}), words({"--require=fd", "x"}),
          words({"--require"})}) {
        EXPECT_THROW((void)parse_run_options(args), usage_error);
    }
}

TEST(FormatBytes, ExactWhereItCanBe)
{
    EXPECT_EQ(format_bytes(0), "0 bytes");
    EXPECT_EQ(format_bytes(1023), "1023 bytes");
    EXPECT_EQ(format_bytes(8U << 20U), "8 MiB");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
}

} // namespace
} // namespace secretmem::cli
