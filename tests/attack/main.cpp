// SPDX-License-Identifier: MIT
// secretmem-attack: every attack against ordinary memory (the control: each
// must work there) and against each kernel backend (each must be refused),
// printed as a table.  Exit status 0 only when every secret held and every
// control leaked.
#include "attacks.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
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
