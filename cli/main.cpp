// SPDX-License-Identifier: MIT
// secretmem: the command-line front of the SDK.
#include "cli_config.h"
#include "commands.hpp"

#include <array>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

constexpr const char* usage_text =
    "usage: secretmem COMMAND [ARGS]\n"
    "\n"
    "Keep secrets out of the kernel's direct map.\n"
    "\n"
    "commands:\n"
    "  info      what this kernel offers: each backend, why it is or is not usable,\n"
    "            the limits secret memory meets, what each backend protects against,\n"
    "            and the secret memory in use (on a kernel with the secretmem series)\n"
    "  run       run a program with its secrets in secret memory (the preload shim),\n"
    "            and say where they were kept and how much it had\n"
    "  enable    switch a systemd service over: a drop-in with the preload shim, the\n"
    "            provider's OpenSSL configuration and LimitMEMLOCK\n"
    "  disable   remove that drop-in\n"
    "  help      this text; `secretmem help COMMAND`, a command's\n"
    "\n"
    "`secretmem COMMAND --help` describes a command; `secretmem --version` says which\n"
    "this is; the secretmem(1) man page has it all.\n"
    "exit status: 0 success, 1 the command found a problem, 2 bad arguments;\n"
    "`run` exits with the program's status (see `secretmem run --help`)\n";

using command = int (*)(std::span<const std::string_view>);

struct named_command {
    std::string_view name;
    command function;
};

constexpr std::array<named_command, 4> commands{{
    {"info", secretmem::cli::info},
    {"run", secretmem::cli::run},
    {"enable", secretmem::cli::enable},
    {"disable", secretmem::cli::disable},
}};

command find_command(std::string_view name)
{
    for (const named_command& c : commands) {
        if (c.name == name) {
            return c.function;
        }
    }
    return nullptr;
}

int unknown(std::string_view name)
{
    std::cerr << "secretmem: unknown command '" << name << "'\n\n" << usage_text;
    return secretmem::cli::usage;
}

} // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << usage_text;
        return secretmem::cli::usage;
    }
    const std::string_view name = args.front();
    const std::span<const std::string_view> rest(args.begin() + 1, args.end());
    if (name == "--version") {
        std::cout << "secretmem " << SECRETMEM_VERSION << '\n';
        return secretmem::cli::ok;
    }
    if (name == "--help" || name == "-h" || (name == "help" && rest.empty())) {
        std::cout << usage_text;
        return secretmem::cli::ok;
    }
    if (name == "help") {
        const command c = find_command(rest.front());
        if (c == nullptr) {
            return unknown(rest.front());
        }
        constexpr std::array<std::string_view, 1> help{"--help"};
        return c(help);
    }
    const command c = find_command(name);
    return c != nullptr ? c(rest) : unknown(name);
}
