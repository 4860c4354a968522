// SPDX-License-Identifier: MIT
// secretmem enable / disable: switch a systemd service over to secretmem, or
// back, with a drop-in of its own (UNIT.d/secretmem.conf): the preload shim,
// the provider's OpenSSL configuration, and room for locked memory.  The
// unit itself is never edited, so disable leaves it as it was.
#include "cli_config.h"
#include "commands.hpp"
#include "preload_library.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <unistd.h>

namespace secretmem::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* enable_help =
    "usage: secretmem enable [--all] [--openssl-conf FILE] [--unit-dir DIR] UNIT\n"
    "\n"
    "Switch systemd service UNIT over to secretmem with a drop-in,\n"
    "DIR/UNIT.d/secretmem.conf (DIR: /etc/systemd/system), that sets:\n"
    "  LD_PRELOAD=libsecretmem-preload.so   OpenSSL's heaps (or, with --all, every\n"
    "                                       allocation) in secret memory\n"
    "  OPENSSL_CONF=secretmem.cnf           private keys in the secretmem provider\n"
    "                                       (FILE: the installed one)\n"
    "  LimitMEMLOCK=infinity                secret memory is locked memory\n"
    "A unit's own LD_PRELOAD or OPENSSL_CONF is replaced while it is enabled.\n"
    "Then: systemctl daemon-reload && systemctl restart UNIT.\n"
    "A UNIT without a suffix is UNIT.service.\n"
    "\n"
    "exit status: 0 written, 1 it could not be, 2 bad arguments\n";

constexpr const char* disable_help =
    "usage: secretmem disable [--unit-dir DIR] UNIT\n"
    "\n"
    "Remove the drop-in `secretmem enable` wrote for systemd service UNIT\n"
    "(DIR/UNIT.d/secretmem.conf, DIR: /etc/systemd/system).  Then:\n"
    "systemctl daemon-reload && systemctl restart UNIT.\n"
    "\n"
    "exit status: 0 removed, 1 there was none or it could not be removed,\n"
    "2 bad arguments\n";

constexpr const char* dropin_name = "secretmem.conf";

struct dropin_options {
    bool help = false;
    bool all = false;
    std::optional<fs::path> openssl_conf;
    fs::path unit_dir = "/etc/systemd/system";
    std::string unit;
};

struct bad_arguments : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// systemd's unit name characters; a name without a type is a service.
std::string unit_name(std::string_view given)
{
    if (given.empty() || given.front() == '-' || given.front() == '.')
        throw bad_arguments("'" + std::string(given) + "' is not a unit name");
    for (const char c : given) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '.' || c == '@' ||
                           c == '-' || c == '\\';
        if (!plain)
            throw bad_arguments("'" + std::string(given) + "' is not a unit name");
    }
    return given.find('.') == std::string_view::npos ? std::string(given) + ".service"
                                                     : std::string(given);
}

dropin_options parse(std::span<const std::string_view> args, bool enabling)
{
    dropin_options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= args.size())
                throw bad_arguments(std::string(a) + " needs a value");
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            o.help = true;
        } else if (a == "--unit-dir") {
            o.unit_dir = value();
        } else if (enabling && a == "--all") {
            o.all = true;
        } else if (enabling && a == "--openssl-conf") {
            o.openssl_conf = fs::absolute(value());
        } else if (a.starts_with("-")) {
            throw bad_arguments("unknown option '" + std::string(a) + "'");
        } else if (o.unit.empty()) {
            o.unit = unit_name(a);
        } else {
            throw bad_arguments("one unit at a time ('" + std::string(a) + "' is a second)");
        }
    }
    if (!o.help && o.unit.empty())
        throw bad_arguments("which unit?");
    return o;
}

fs::path dropin_path(const dropin_options& o)
{
    return o.unit_dir / (o.unit + ".d") / dropin_name;
}

// The path as systemd's Environment= takes it: quoted, with no quote,
// backslash or line break inside to escape.
std::string checked_value(const fs::path& p, const char* what)
{
    std::string s = p.string();
    if (s.find_first_of("\"\\\n ") != std::string::npos) {
        throw std::runtime_error(std::string(what) + " path '" + s +
                                 "' has a space, quote, backslash or line break");
    }
    return s;
}

std::string dropin_text(const dropin_options& o, const fs::path& preload, const fs::path& conf)
{
    std::string text = "# Written by `secretmem enable " + o.unit + "`; `secretmem disable " +
                       o.unit + "` removes it.\n[Service]\n";
    text += "Environment=LD_PRELOAD=" + checked_value(preload, "the shim's") + "\n";
    text += "Environment=OPENSSL_CONF=" + checked_value(conf, "the OpenSSL configuration's") + "\n";
    if (o.all)
        text += "Environment=SECRETMEM_PRELOAD=all\n";
    text += "LimitMEMLOCK=infinity\n";
    return text;
}

// Written whole or not at all: a temporary file beside it, then rename().
void write_atomically(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    const fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".new");
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            throw std::system_error(errno, std::generic_category(),
                                    "cannot write " + temporary.string());
        }
    }
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write |
                                   fs::perms::group_read | fs::perms::others_read);
    fs::rename(temporary, path);
}

int enable_unit(const dropin_options& o)
{
    const fs::path preload = fs::absolute(find_preload_library());
    const fs::path conf = o.openssl_conf.value_or(fs::path(SECRETMEM_INSTALL_DATADIR) /
                                                  "secretmem" / "secretmem.cnf");
    if (!fs::is_regular_file(conf)) {
        std::cerr << "secretmem enable: no OpenSSL configuration at " << conf.string()
                  << ": install secretmem (meson install), or name one with --openssl-conf\n";
        return failure;
    }
    const fs::path path = dropin_path(o);
    write_atomically(path, dropin_text(o, preload, conf));
    std::cout << "secretmem enable: wrote " << path.string() << ": " << o.unit << " runs under "
              << preload.string() << " with OPENSSL_CONF=" << conf.string()
              << (o.all ? " and every allocation secret" : "")
              << "\nto apply it: systemctl daemon-reload && systemctl restart " << o.unit << '\n';
    return ok;
}

int disable_unit(const dropin_options& o)
{
    const fs::path path = dropin_path(o);
    std::error_code ec;
    if (!fs::remove(path, ec)) {
        std::cerr << "secretmem disable: " << o.unit
                  << " is not switched over: " << (ec ? ec.message() + " at " : "there is no ")
                  << path.string() << '\n';
        return failure;
    }
    // The directory only if nothing else of the administrator's is in it.
    (void)fs::remove(path.parent_path(), ec);
    std::cout << "secretmem disable: removed " << path.string()
              << "\nto apply it: systemctl daemon-reload && systemctl restart " << o.unit << '\n';
    return ok;
}

int dropin_command(std::span<const std::string_view> args, bool enabling)
{
    const char* name = enabling ? "secretmem enable" : "secretmem disable";
    dropin_options o;
    try {
        o = parse(args, enabling);
    } catch (const bad_arguments& e) {
        std::cerr << name << ": " << e.what() << "\n\n" << (enabling ? enable_help : disable_help);
        return usage;
    }
    if (o.help) {
        std::cout << (enabling ? enable_help : disable_help);
        return ok;
    }
    try {
        return enabling ? enable_unit(o) : disable_unit(o);
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << '\n';
        return failure;
    }
}

} // namespace

int enable(std::span<const std::string_view> args)
{
    return dropin_command(args, true);
}

int disable(std::span<const std::string_view> args)
{
    return dropin_command(args, false);
}

} // namespace secretmem::cli
