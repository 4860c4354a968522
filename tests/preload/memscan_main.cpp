// SPDX-License-Identifier: MIT
// secretmem-memscan: search a running process's memory for secrets, as any
// process allowed to ptrace it could.  For people chasing a leak by hand;
// the tests use the library directly.
#include "memscan.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ms = secretmem::memscan;

constexpr const char* usage = R"(usage: secretmem-memscan [OPTIONS] PID

Reads every readable mapping of PID through /proc/PID/mem and reports where
each needle occurs, and which pages could not be read.

  --hex HEX        a needle, as hex digits (':' and spaces ignored)
  --text STRING    a needle, as text
  --file PATH      a needle: the contents of a file
  --reverse        also search each needle byte-reversed (a big number's
                   little-endian limbs, as a BIGNUM holds it)
  --partial WIDTH  also report copies of WIDTH (>= 8) or more consecutive
                   bytes of a needle
  --chunk BYTES    bytes per read before falling back to pages (default 1 MiB)
  --quiet          print the summary line only

Exit status: 0 no needle found, 1 a needle (or part of one) found, 2 usage
error or the process could not be read.
)";

struct arguments {
    std::vector<ms::bytes> needles;
    std::vector<std::string> names;
    bool reverse = false;
    std::size_t partial = 0;
    ms::options opts;
    bool quiet = false;
    pid_t pid = 0;
};

ms::bytes read_file(const char* path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(std::string("cannot read ") + path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ms::bytes out(text.size());
    std::memcpy(out.data(), text.data(), text.size());
    return out;
}

std::size_t number(const char* text)
{
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 0);
    if (end == text || *end != '\0')
        throw std::invalid_argument(std::string("not a number: ") + text);
    return static_cast<std::size_t>(value);
}

arguments parse(int argc, char** argv)
{
    arguments a;
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= args.size())
                throw std::invalid_argument(std::string(arg) + " needs a value");
            return argv[1 + ++i];
        };
        if (arg == "--hex") {
            const char* hex = value();
            a.needles.push_back(ms::from_hex(hex));
            a.names.emplace_back(std::string("hex ") + hex);
        } else if (arg == "--text") {
            const char* text = value();
            a.needles.emplace_back(reinterpret_cast<const std::byte*>(text),
                                   reinterpret_cast<const std::byte*>(text) + std::strlen(text));
            a.names.emplace_back(std::string("text ") + text);
        } else if (arg == "--file") {
            const char* path = value();
            a.needles.push_back(read_file(path));
            a.names.emplace_back(std::string("file ") + path);
        } else if (arg == "--reverse") {
            a.reverse = true;
        } else if (arg == "--partial") {
            a.partial = number(value());
        } else if (arg == "--chunk") {
            a.opts.chunk = number(value());
        } else if (arg == "--quiet") {
            a.quiet = true;
        } else if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (!arg.empty() && arg[0] != '-' && a.pid == 0) {
            a.pid = static_cast<pid_t>(number(argv[1 + i]));
        } else {
            throw std::invalid_argument("unknown argument " + std::string(arg));
        }
    }
    if (a.pid <= 0)
        throw std::invalid_argument("no PID given");
    if (a.reverse) {
        const std::size_t count = a.needles.size();
        for (std::size_t i = 0; i < count; ++i) {
            a.needles.push_back(ms::reversed(a.needles[i]));
            a.names.push_back(a.names[i] + " (reversed)");
        }
    }
    if (a.partial > 0) {
        if (a.partial < 8)
            throw std::invalid_argument("--partial needs a width of 8 or more");
        a.opts.keep = true;
    }
    return a;
}

int run(const arguments& a)
{
    const ms::scan_result r = ms::scan(a.pid, a.needles, a.opts);
    for (const ms::mapping_result& m : r.mappings) {
        if (!a.quiet && m.pages_failed > 0) {
            std::printf("unreadable %" PRIxPTR "-%" PRIxPTR " %s %s: %zu of %zu pages, %s%s\n",
                        m.map.start, m.map.end, m.map.perms.c_str(), m.map.label().c_str(),
                        m.pages_failed, m.pages_failed + m.pages_read,
                        ::strerrorname_np(m.first_error), m.vanished ? " (vanished)" : "");
        }
    }
    auto where = [&](std::size_t mapping, std::uintptr_t address) {
        return ms::describe(r.mappings[mapping].map, address);
    };
    if (!a.quiet) {
        for (const ms::hit& h : r.hits) {
            std::printf("hit %s at %" PRIxPTR ": %s\n", a.names[h.needle].c_str(), h.address,
                        where(h.mapping, h.address).c_str());
        }
    }
    std::vector<ms::partial> partials;
    if (a.partial > 0)
        partials = r.partials(a.needles, a.partial);
    if (!a.quiet) {
        for (const ms::partial& p : partials) {
            std::printf("partial %s bytes %zu-%zu at %" PRIxPTR ": %s\n", a.names[p.needle].c_str(),
                        p.offset, p.offset + p.length, p.address,
                        where(p.mapping, p.address).c_str());
        }
    }
    std::printf("memscan: pid=%d mappings=%zu pages_read=%zu pages_failed=%zu hits=%zu "
                "partials=%zu%s\n",
                static_cast<int>(a.pid), r.mappings.size(), r.pages_read(), r.pages_failed(),
                r.hits.size(), partials.size(), r.process_gone ? " process_gone=yes" : "");
    if (r.process_gone)
        return 2;
    return r.hits.empty() && partials.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return run(parse(argc, argv));
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "secretmem-memscan: %s\n%s", e.what(), usage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "secretmem-memscan: %s\n", e.what());
        return 2;
    }
}
