// SPDX-License-Identifier: MIT
// secretmem-attack: every attack against ordinary memory (the control: each
// must work there) and against each kernel backend (each must be refused),
// printed as a table.  Exit status 0 only when every secret held and every
// control leaked.
//
// secretmem-attack --pid PID[=LABEL]... [--control-pid PID[=LABEL]]... --key HEX
// aims the attacks that work from outside at programs already running
// (process_attack.hpp), then ends them with a core dump.  Exit status 0 only
// when every attack got the key from each control and nothing from the
// others; 2 for bad arguments.
#include "attacks.hpp"
#include "process_attack.hpp"

#include <memscan.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using secretmem::attack::outcome;
using secretmem::attack::target;

std::string cell(const outcome& o)
{
    switch (o.what) {
    case outcome::result::leaked:
        return "LEAKED" + (o.detail.empty() ? "" : " (" + o.detail + ")");
    case outcome::result::refused:
        return "refused (" + o.detail + ")";
    case outcome::result::skipped:
        return "skipped";
    case outcome::result::broken:
        return "BROKEN: " + o.detail;
    }
    return "?";
}

constexpr const char* process_usage =
    "usage: secretmem-attack --pid PID[=LABEL]... [--control-pid PID[=LABEL]]... --key HEX\n"
    "  --pid          a process that keeps the key in secret memory\n"
    "  --control-pid  one that keeps it in ordinary memory: the attacks must get it there\n"
    "  --key          the key's bytes in hex, to recognise them (at least 16 bytes)\n";

// The key's hex, or nothing when it is not hex.
std::optional<std::vector<std::byte>> parse_hex(std::string_view text)
{
    try {
        return secretmem::memscan::from_hex(text);
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

// PID[=LABEL]
std::optional<secretmem::attack::running_process> parse_process(const std::string& text,
                                                                bool control)
{
    const std::size_t equals = text.find('=');
    const std::string number = text.substr(0, equals);
    char* end = nullptr;
    const long pid = std::strtol(number.c_str(), &end, 10);
    if (number.empty() || *end != '\0' || pid <= 0)
        return std::nullopt;
    std::string label = equals == std::string::npos ? std::string(control ? "control" : "target")
                                                    : text.substr(equals + 1);
    return secretmem::attack::running_process{static_cast<pid_t>(pid), std::move(label), control};
}

// The --pid mode; the exit status.
int attack_running(const std::vector<std::string_view>& args)
{
    // Controls first: the column that shows the attacks work.
    std::vector<secretmem::attack::running_process> controls;
    std::vector<secretmem::attack::running_process> targets;
    std::optional<std::vector<std::byte>> key;
    std::string problem = args.size() % 2 == 0 ? "" : "each option takes a value";
    for (std::size_t i = 0; problem.empty() && i < args.size(); i += 2) {
        const std::string value(args[i + 1]);
        if (args[i] == "--key") {
            key = parse_hex(value);
            if (!key || key->size() < 16)
                problem = "--key " + value + ": not 16 or more bytes in hex";
        } else if (args[i] == "--pid" || args[i] == "--control-pid") {
            const bool control = args[i] == "--control-pid";
            const auto p = parse_process(value, control);
            if (p) {
                (control ? controls : targets).push_back(*p);
            } else {
                problem = std::string(args[i]) + " " + value + ": not a PID";
            }
        } else {
            problem = "unknown option " + std::string(args[i]);
        }
    }
    if (problem.empty() && !key)
        problem = "--key is missing";
    if (problem.empty() && targets.empty())
        problem = "no --pid: nothing to attack";
    if (!problem.empty()) {
        std::fprintf(stderr, "secretmem-attack: %s\n%s", problem.c_str(), process_usage);
        return 2;
    }
    controls.insert(controls.end(), targets.begin(), targets.end());
    return secretmem::attack::attack_processes(controls, *key) ? 0 : 1;
}

std::string scratch_dir()
{
    if (const char* dir = std::getenv("SECRETMEM_ATTACK_DIR"))
        return dir;
    char cwd[4096];
    return ::getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : "/tmp";
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 1 && std::string_view(argv[1]) != secretmem::attack::dump_core_flag)
        return attack_running({argv + 1, argv + argc});
    const std::vector<target> targets{
        {"plain (control)", std::nullopt},
        {"memfd_secret", secretmem::backend_kind::fd},
        {"MAP_SECRET", secretmem::backend_kind::native},
    };
    if (argc == 3 && std::string(argv[1]) == secretmem::attack::dump_core_flag) {
        for (const target& t : targets) {
            if (std::string(t.backend ? secretmem::to_string(*t.backend) : "plain") == argv[2])
                secretmem::attack::map_and_dump_core(t);
        }
        return 2;
    }
    // Before any fork: every victim must fill its memory with this token.
    (void)secretmem::attack::pattern_token();
    const secretmem::attack::context context{scratch_dir()};
    int failures = 0;
    int refusals = 0;
    std::vector<std::string> notes;

    std::printf("%-24s", "attack");
    for (const target& t : targets)
        std::printf(" | %-36s", t.name.c_str());
    std::printf("\n");

    for (const auto& a : secretmem::attack::all_attacks()) {
        std::printf("%-24s", a.name);
        for (const target& t : targets) {
            outcome o{outcome::result::skipped, t.unavailable()};
            if (o.detail.empty()) {
                try {
                    o = a.run(t, context);
                } catch (const std::exception& e) {
                    o = {outcome::result::broken, e.what()};
                }
            }
            const bool ok =
                o.what == outcome::result::skipped ||
                o.what == (t.is_control() ? outcome::result::leaked : outcome::result::refused);
            failures += ok ? 0 : 1;
            refusals += !t.is_control() && o.what == outcome::result::refused ? 1 : 0;
            if (o.what == outcome::result::skipped && t.unavailable().empty())
                notes.push_back(std::string(a.name) + " on " + t.name + ": " + o.detail);
            std::printf(" | %-36s", cell(o).c_str());
        }
        std::printf("\n");
    }
    const char* require_native = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    for (const target& t : targets) {
        if (const std::string why = t.unavailable(); !why.empty()) {
            notes.push_back(t.name + ", every attack: " + why);
            // The VM runs set this: there, a skipped MAP_SECRET column is a failure.
            if (t.backend == secretmem::backend_kind::native && require_native != nullptr &&
                std::string(require_native) == "1")
                ++failures;
        }
    }
    for (const std::string& n : notes)
        std::printf("skipped: %s\n", n.c_str());
    std::printf("attacks: %d refused by secret memory, %d unexpected results\n", refusals,
                failures);
    return failures == 0 ? 0 : 1;
}
