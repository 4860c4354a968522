// SPDX-License-Identifier: MIT
// secretmem run: a program under the preload shim, and where its secrets went.
#include "child_environment.hpp"
#include "child_process.hpp"
#include "commands.hpp"
#include "preload_library.hpp"
#include "preload_report.hpp"
#include "report_file.hpp"
#include "run_options.hpp"
#include "run_verdict.hpp"

#include <secretmem/backend.hpp>

#include <cerrno>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

namespace secretmem::cli {
namespace {

constexpr std::string_view prefix = "secretmem run: ";

// Far more than the reports of any likely tree of processes (one line of
// about 300 bytes each); past it, the file holds something else.
constexpr std::size_t report_limit = std::size_t{16} << 20U;

struct expectation {
    const backend* chosen = nullptr; // what the shim's heap will take
    std::string problem;             // why nothing will do, when chosen is null
};

// The heap takes the first backend, best first, that works and that the
// policy accepts (allocator/include/secretmem/alloc.h); so do we, to refuse
// early and clearly what the shim would refuse later (or abort on).
expectation expected_backend(const run_options& options)
{
    if (options.require) {
        const backend& b = backend_for(*options.require);
        if (!b.available().usable) {
            return {nullptr, "--require=" + std::string(to_string(b.kind())) + ": " +
                                 std::string(b.mechanism()) +
                                 " is not usable here: " + b.available().reason};
        }
        return {&b, {}};
    }
    std::string reasons;
    for (const backend_kind kind : all_backends) {
        const backend& b = backend_for(kind);
        if (b.available().usable && (!b.degraded() || options.allow_degraded)) {
            return {&b, {}};
        }
        reasons += "\n  " + std::string(to_string(kind)) + ": " +
                   (b.available().usable ? "DEGRADED, still in the kernel's direct map: "
                                           "--allow-degraded accepts it"
                                         : b.available().reason);
    }
    return {nullptr, "no backend for secret memory is usable here:" + reasons +
                         "\n('secretmem info' tells more)"};
}

int exec_failure_status(int error)
{
    return error == ENOENT || error == ENOTDIR  ? not_found
           : error == ENOMEM || error == EAGAIN ? run_failed
                                                : cannot_execute;
}

} // namespace

int run(std::span<const std::string_view> args)
{
    run_options options;
    try {
        options = parse_run_options(args);
    } catch (const usage_error& e) {
        std::cerr << prefix << e.what()
                  << "\nusage: secretmem run [OPTIONS] [--] COMMAND [ARGS...]; "
                     "'secretmem run --help' tells more\n";
        return usage;
    }
    if (options.help) {
        std::cout << run_help;
        return ok;
    }
    const std::string_view program = options.command.front();

    const expectation expected = expected_backend(options);
    if (expected.chosen == nullptr) {
        std::cerr << prefix << "not running " << program << ": " << expected.problem << '\n';
        return run_failed;
    }
    shim_settings settings;
    try {
        settings.library = find_preload_library().string();
    } catch (const preload_not_found& e) {
        std::cerr << prefix << e.what() << '\n';
        return run_failed;
    }
    if (!preloadable(settings.library)) {
        std::cerr << prefix << "the shim's path '" << settings.library
                  << "' has a space or a colon, which LD_PRELOAD cannot carry: set "
                     "SECRETMEM_PRELOAD_LIBRARY to a copy at a plainer path\n";
        return run_failed;
    }
    settings.mode = options.mode;
    settings.openssl = options.openssl;
    settings.allow_degraded = options.allow_degraded;

    std::optional<report_file> reports;
    child_exit ended;
    try {
        reports.emplace();
        settings.report_fd = reports->fd();
        ended =
            run_supervised(options.command, child_environment(environ, settings), reports->fd());
    } catch (const spawn_error& e) {
        std::cerr << prefix << "cannot run " << program << ": " << e.code().message() << '\n';
        return exec_failure_status(e.code().value());
    } catch (const std::system_error& e) {
        std::cerr << prefix << "cannot run " << program << ": " << e.what() << '\n';
        return run_failed;
    }

    run_outcome outcome{.program = program,
                        .pid = ended.pid,
                        .wait_status = ended.wait_status,
                        .reports = {},
                        .expected = expected.chosen,
                        .native_required = options.require.has_value()};
    try {
        const report_file::contents written = reports->read(report_limit);
        if (written.truncated) {
            std::cerr << prefix << "WARNING: the shim's reports fill more than "
                      << (report_limit >> 20U) << " MiB: only the first " << (report_limit >> 20U)
                      << " MiB were read\n";
        }
        outcome.reports = parse_reports(written.text);
    } catch (const std::system_error& e) {
        // The program has run: its status still stands, with no reports.
        std::cerr << prefix << "cannot read the shim's reports: " << e.what() << '\n';
    }
    return conclude(outcome, std::cerr);
}

} // namespace secretmem::cli
