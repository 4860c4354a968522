// SPDX-License-Identifier: MIT
// secretmem: the command-line front of the SDK.
#include "commands.hpp"

#include <cstdio>
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
    "            memory-lock limits, and what each backend protects against\n"
    "\n"
    "`secretmem COMMAND --help` describes a command.\n"
    "exit codes: 0 success, 1 the command found a problem, 2 bad arguments\n";

} // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(usage_text, stderr);
        return secretmem::cli::usage;
    }
    const std::string_view command = args.front();
    const std::span<const std::string_view> rest(args.begin() + 1, args.end());
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(usage_text, stdout);
        return secretmem::cli::ok;
    }
    if (command == "info")
        return secretmem::cli::info(rest);
    std::fprintf(stderr, "secretmem: unknown command '%.*s'\n\n%s",
                 static_cast<int>(command.size()), command.data(), usage_text);
    return secretmem::cli::usage;
}
