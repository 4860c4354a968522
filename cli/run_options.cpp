// SPDX-License-Identifier: MIT
#include "run_options.hpp"

namespace secretmem::cli {

const char* const run_help =
    "usage: secretmem run [OPTIONS] [--] COMMAND [ARGS...]\n"
    "\n"
    "Run COMMAND with the preload shim (libsecretmem-preload.so), which puts its\n"
    "secrets in secret memory, and say on standard error, once it has exited,\n"
    "which backend held them and how much secret memory it had.\n"
    "\n"
    "options:\n"
    "  --explicit          only memory asked for as secret: the secretmem API and\n"
    "                      OpenSSL's heaps (the default)\n"
    "  --all               every heap allocation of the program (malloc, new, ...)\n"
    "  --openssl=HEAPS     which of OpenSSL's heaps are secret: 'all' (its secure heap\n"
    "                      and the ordinary one it copies keys through; the default)\n"
    "                      or 'secure-heap' (only what OpenSSL itself calls secure)\n"
    "  --allow-degraded    if no backend keeps memory out of the kernel's direct map,\n"
    "                      accept mlock'd memory, which stays in it\n"
    "  --require=native    the secrets must be in MAP_SECRET memory: refuse to start\n"
    "                      where it is not usable, fail (125) if they ended elsewhere\n"
    "                      or if no report shows where they were\n"
    "  -h, --help          this text\n"
    "\n"
    "Options stop at '--' or at the first argument that is not one.  The program's\n"
    "standard input, output and error are yours, untouched; the shim writes each\n"
    "process's report to a file of secretmem's, which the program and all it starts\n"
    "inherit (SECRETMEM_PRELOAD_REPORT_FD).  Each process that reports is named by\n"
    "its name and pid.  SECRETMEM_PRELOAD_LIBRARY=PATH names the shim to use; the\n"
    "shim's own variables are set from these options alone.\n"
    "\n"
    "exit status:\n"
    "  N      the program exited with status N\n"
    "  128+N  the program was killed by signal N\n"
    "  2      bad arguments: nothing was run\n"
    "  125    secretmem could not run the program as asked (no shim, no backend the\n"
    "         options accept, native not usable for --require=native), or the\n"
    "         program ran and nothing shows its secrets in native memory as required\n"
    "  126    COMMAND was found but could not be run\n"
    "  127    COMMAND was not found\n";

namespace {

// "--name=value" or "--name value": the value, taken from `rest` if separate.
std::string_view value_of(std::string_view arg, std::string_view name,
                          std::span<const std::string_view>& rest)
{
    if (arg.size() > name.size() && arg[name.size()] == '=') {
        return arg.substr(name.size() + 1);
    }
    if (rest.empty()) {
        throw usage_error(std::string(name) + " needs a value");
    }
    const std::string_view value = rest.front();
    rest = rest.subspan(1);
    return value;
}

bool names(std::string_view arg, std::string_view name)
{
    return arg == name ||
           (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=');
}

backend_kind required_backend(std::string_view value)
{
    if (value == "native") {
        return backend_kind::native;
    }
    if (value == "fd" || value == "locked") {
        // The shim's heap takes the best backend usable, so nothing below
        // native can be asked for; and fd or better is the default already.
        throw usage_error("--require=" + std::string(value) +
                          ": only 'native' can be required; without --allow-degraded the "
                          "secrets are kept out of the direct map (fd or native) anyway");
    }
    throw usage_error("--require is '" + std::string(value) + "': give 'native'");
}

void set_mode(run_options& options, bool& chosen, const char* mode)
{
    if (chosen && options.mode != mode) {
        throw usage_error("--all and --explicit contradict each other: give one");
    }
    chosen = true;
    options.mode = mode;
}

} // namespace

run_options parse_run_options(std::span<const std::string_view> args)
{
    run_options options;
    bool mode_chosen = false;
    while (!args.empty()) {
        const std::string_view arg = args.front();
        args = args.subspan(1);
        if (arg == "--") {
            break;
        }
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            return options;
        }
        if (arg == "--all") {
            set_mode(options, mode_chosen, "all");
        } else if (arg == "--explicit") {
            set_mode(options, mode_chosen, "explicit");
        } else if (arg == "--allow-degraded") {
            options.allow_degraded = true;
        } else if (names(arg, "--openssl")) {
            const std::string_view heaps = value_of(arg, "--openssl", args);
            if (heaps != "all" && heaps != "secure-heap") {
                throw usage_error("--openssl is '" + std::string(heaps) +
                                  "': give 'all' or 'secure-heap'");
            }
            options.openssl = heaps;
        } else if (names(arg, "--require")) {
            options.require = required_backend(value_of(arg, "--require", args));
        } else if (arg.starts_with("-") && arg != "-") {
            throw usage_error("unknown option '" + std::string(arg) +
                              "' (put '--' before a command that starts with '-')");
        } else {
            options.command.emplace_back(arg);
            break;
        }
    }
    for (const std::string_view arg : args) {
        options.command.emplace_back(arg);
    }
    if (options.command.empty()) {
        throw usage_error("no command to run: give one, as in 'secretmem run --all -- ls'");
    }
    return options;
}

} // namespace secretmem::cli
