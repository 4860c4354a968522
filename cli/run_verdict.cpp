// SPDX-License-Identifier: MIT
#include "run_verdict.hpp"

#include "commands.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace secretmem::cli {
namespace {

constexpr std::string_view prefix = "secretmem run: ";

// The kernel names a process after the file it executed, cut to 15 bytes;
// the shim makes the name one word (report.c).
std::string comm_for(std::string_view program)
{
    constexpr std::size_t task_comm_length = 15;
    std::string comm(program.substr(program.rfind('/') + 1).substr(0, task_comm_length));
    for (char& c : comm) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '=' || c == '\x7f') {
            c = '_';
        }
    }
    return comm;
}

// How the process behind report `index` is named: as the user named the
// program when it alone reported and it is the program, still under its
// name; else by its name and pid, which tell the program apart from its
// forks (the same name) and from what it executed (the same pid).
std::string process_label(const run_outcome& o, std::size_t index)
{
    const preload_report& r = o.reports.at(index);
    const bool alone = o.reports.size() == 1;
    if (r.pid == 0) { // a shim that does not say
        return alone ? std::string(o.program) : "process " + std::to_string(index + 1);
    }
    if (alone && r.pid == o.pid && r.comm == comm_for(o.program)) {
        return std::string(o.program);
    }
    return (r.comm.empty() ? std::string("?") : r.comm) + " (pid " + std::to_string(r.pid) + ")";
}

void tell(std::ostream& out, const preload_report& report, std::string_view label,
          std::string_view indent)
{
    bool first = true;
    for (const std::string& line : describe(report, label)) {
        out << (first && indent.empty() ? prefix : std::string_view{}) << indent << line << '\n';
        first = false;
    }
}

std::string signal_name(int signal)
{
    const char* abbreviation = ::sigabbrev_np(signal);
    return abbreviation != nullptr ? std::string("SIG") + abbreviation
                                   : "signal " + std::to_string(signal);
}

// Whether every report that used secret memory used `expected`; says which did not.
bool all_in_expected(const run_outcome& o, std::ostream& out)
{
    bool kept = true;
    for (std::size_t i = 0; i < o.reports.size(); ++i) {
        const preload_report& r = o.reports[i];
        if (o.expected == nullptr || !r.used_secret_memory() ||
            r.backend == to_string(o.expected->kind())) {
            continue;
        }
        kept = false;
        const std::string expected(to_string(o.expected->kind()));
        const std::string mechanism(o.expected->mechanism());
        if (o.native_required) {
            out << prefix << "ERROR: " << process_label(o, i) << "'s secrets were in " << r.backend
                << " memory, not in " << expected << " (" << mechanism
                << ") as --require=native asked\n";
        } else {
            out << prefix << "WARNING: " << process_label(o, i) << "'s secrets were in "
                << r.backend << " memory although " << expected << " (" << mechanism
                << ") is usable here: the shim's heap could not get it\n";
        }
    }
    return kept;
}

} // namespace

// Processes that held nothing (a wrapper's shells and helpers), folded into
// one line by name: "bash x3, readlink".
std::string folded(const run_outcome& o)
{
    std::vector<std::pair<std::string, int>> names;
    for (const preload_report& r : o.reports) {
        if (!r.held_nothing() || r.pid == o.pid) {
            continue;
        }
        const std::string name = r.comm.empty() ? "?" : r.comm;
        auto it = std::find_if(names.begin(), names.end(),
                               [&](const auto& n) { return n.first == name; });
        if (it == names.end()) {
            names.emplace_back(name, 1);
        } else {
            ++it->second;
        }
    }
    std::string text;
    for (const auto& [name, count] : names) {
        text += (text.empty() ? "" : ", ") + name +
                (count > 1 ? " x" + std::to_string(count) : std::string{});
    }
    return text;
}

int conclude(const run_outcome& o, std::ostream& out)
{
    if (o.reports.size() == 1) {
        tell(out, o.reports.front(), process_label(o, 0), "");
    } else if (!o.reports.empty()) {
        out << prefix << o.reports.size() << " processes exited under the shim, " << o.program
            << " (pid " << o.pid << ") and what it started:\n";
        std::size_t quiet = 0;
        for (std::size_t i = 0; i < o.reports.size(); ++i) {
            if (o.reports[i].held_nothing() && o.reports[i].pid != o.pid) {
                ++quiet;
                continue;
            }
            tell(out, o.reports[i], process_label(o, i), "  ");
        }
        if (quiet > 0) {
            out << "  " << quiet << (quiet == 1 ? " other process" : " other processes")
                << " held no secrets and used no secret memory: " << folded(o) << '\n';
        }
    }
    const bool kept = all_in_expected(o, out);

    if (WIFSIGNALED(o.wait_status)) {
        const int signal = WTERMSIG(o.wait_status);
        const bool reported = std::any_of(o.reports.begin(), o.reports.end(),
                                          [&](const preload_report& r) { return r.pid == o.pid; });
        out << prefix << o.program << " was killed by " << signal_name(signal) << " ("
            << ::strsignal(signal) << ")"
            << (reported ? "\n"
                         : " before the shim could report: how much secret memory it used is "
                           "unknown\n");
        return killed_base + signal;
    }
    const int status = WEXITSTATUS(o.wait_status);
    if (o.reports.empty()) {
        out << prefix << "WARNING: " << o.program
            << " exited without the shim's report, and nothing it started\n"
               "  reported either: nothing shows where their secrets were.  Either they "
               "ignored\n  LD_PRELOAD (a static or set-user-ID program) or they ended without "
               "running exit\n  handlers (_exit(2), as dash does)\n";
        return o.native_required ? run_failed : status;
    }
    return !kept && o.native_required ? run_failed : status;
}

} // namespace secretmem::cli
