// SPDX-License-Identifier: MIT
#include "process_attack.hpp"

#include "../support/proc.hpp"
#include "attacks.hpp"
#include "primitives.hpp"

#include <memscan.hpp>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace secretmem::attack {
namespace {

const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// An address in the attacked process, as the system calls take it.  Never
// dereferenced here, so the cast costs no optimization.
const std::byte* remote(std::uintptr_t address)
{
    return reinterpret_cast<const std::byte*>(address); // NOLINT(performance-no-int-to-ptr)
}

// One mapping of /proc/PID/smaps.
struct mapping_info {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    std::string name;
    std::size_t rss_kb = 0;
    // "MAP_SECRET" (VM_SECRET: "sc" in VmFlags), "memfd_secret" (a
    // /secretmem file), or empty for ordinary memory.
    std::string secret_kind;

    [[nodiscard]] std::size_t pages() const { return (end - start) / page; }
    [[nodiscard]] const std::byte* address() const { return remote(start); }
};

std::vector<mapping_info> read_smaps(pid_t pid)
{
    std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
    std::vector<mapping_info> mappings;
    for (std::string line; std::getline(smaps, line);) {
        std::istringstream fields(line);
        std::string first;
        fields >> first;
        if (first.empty())
            continue;
        if (first.back() != ':') {
            // A mapping's first line: range perms offset device inode [name].
            mapping_info m;
            if (std::sscanf(first.c_str(), "%" SCNxPTR "-%" SCNxPTR, &m.start, &m.end) != 2)
                continue;
            std::string skip;
            fields >> skip >> skip >> skip >> skip;
            std::getline(fields >> std::ws, m.name);
            if (m.name.starts_with("/secretmem"))
                m.secret_kind = "memfd_secret";
            mappings.push_back(std::move(m));
        } else if (!mappings.empty() && first == "Rss:") {
            fields >> mappings.back().rss_kb;
        } else if (!mappings.empty() && first == "VmFlags:") {
            for (std::string flag; fields >> flag;) {
                if (flag == "sc")
                    mappings.back().secret_kind = "MAP_SECRET";
            }
        }
    }
    return mappings;
}

// A place an attack aims at: a page of a secret mapping, or the key where
// the scan found it in readable memory.
struct spot {
    const std::byte* address;
    std::optional<std::uint64_t> frame;
    bool is_key;
};

std::string error_name(int error)
{
    const char* name = ::strerrorname_np(error);
    return name != nullptr ? name : std::to_string(error);
}

std::string mib(std::size_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

std::string hex(std::uintptr_t address)
{
    char text[24];
    std::snprintf(text, sizeof text, "0x%" PRIxPTR, address);
    return text;
}

std::string where(const std::vector<mapping_info>& mappings, std::uintptr_t address)
{
    for (const mapping_info& m : mappings) {
        if (m.start <= address && address < m.end)
            return m.name.empty() ? "anonymous memory" : m.name;
    }
    return "no mapping";
}

// Where the key is in memory any reader of /proc/PID/mem sees, and how
// much that reader got.
struct scan_result {
    std::optional<std::uintptr_t> found;
    std::size_t bytes_read = 0;
};

scan_result scan_readable(pid_t pid, const std::vector<std::byte>& key)
{
    const std::vector<memscan::bytes> needles{key};
    const memscan::scan_result scan = memscan::scan(pid, needles);
    scan_result result;
    result.bytes_read = scan.pages_read() * page;
    if (!scan.hits.empty())
        result.found = scan.hits.front().address;
    return result;
}

// The verdict on one process for one attack, from what it got at each spot.
struct tally {
    bool got_key = false;
    std::size_t secret_pages = 0;
    std::size_t secret_pages_read = 0;
    std::set<std::string> refusals;
    std::string broken;

    // A refusal reads "refused: EIO" for a system call, bare for the probe.
    [[nodiscard]] outcome result(const std::string& refusal_prefix = "refused: ") const
    {
        if (!broken.empty())
            return {outcome::result::broken, broken};
        if (got_key || secret_pages_read > 0) {
            std::string what = got_key ? "got the key" : "";
            if (secret_pages_read > 0) {
                what += (what.empty() ? "" : "; ") + std::string("READ ") +
                        std::to_string(secret_pages_read) + " of " + std::to_string(secret_pages) +
                        " secret pages";
            }
            return {outcome::result::leaked, what};
        }
        std::string why;
        for (const std::string& r : refusals)
            why += (why.empty() ? "" : ", ") + r;
        return {outcome::result::refused, refusal_prefix + why};
    }
};

using reader = std::function<int(const std::byte*, std::byte*, std::size_t)>;

// Reads at every spot: the key's bytes at the key's spot, a word of each
// secret page (any byte of one is a leak).
outcome read_spots(const std::vector<spot>& spots, const std::vector<std::byte>& key,
                   const reader& read)
{
    tally t;
    for (const spot& s : spots) {
        const std::size_t length = s.is_key ? key.size() : sizeof(long);
        // Whole words, for PTRACE_PEEKDATA.
        std::vector<std::byte> got((length + sizeof(long) - 1) / sizeof(long) * sizeof(long));
        const int error = read(s.address, got.data(), length);
        if (!s.is_key)
            ++t.secret_pages;
        if (error != 0) {
            t.refusals.insert(error_name(error));
        } else if (!s.is_key) {
            ++t.secret_pages_read;
        } else if (std::equal(key.begin(), key.end(), got.begin())) {
            t.got_key = true;
        } else {
            t.broken = "read other bytes at the key's address";
        }
    }
    return t.result();
}

outcome ptrace_peek_spots(pid_t pid, const std::vector<spot>& spots,
                          const std::vector<std::byte>& key)
{
    if (const int error = ptrace_stop(pid); error != 0)
        return {outcome::result::broken, "ptrace attach: " + error_name(error)};
    outcome o = read_spots(spots, key, [pid](const std::byte* at, std::byte* out, std::size_t n) {
        return peek_words(pid, at, out, n);
    });
    ptrace_detach(pid);
    return o;
}

// The kernel's own view: is the frame still in the direct map, where a
// kernel read bug or a speculative gadget reaches any page?
outcome probe_spots(const std::vector<spot>& spots)
{
    if (::access(probe_path, R_OK | W_OK) != 0) {
        return {outcome::result::skipped,
                std::string(probe_path) + " is missing (CONFIG_DEBUG_SECRET_MAP, debugfs)"};
    }
    tally t;
    std::size_t probed = 0;
    for (const spot& s : spots) {
        if (!s.frame)
            continue;
        const auto answer = probe_frame(*s.frame);
        if (!answer)
            return {outcome::result::broken, "the probe did not answer"};
        ++probed;
        const bool readable = says(*answer, "kernel_read=ok");
        if (s.is_key) {
            if (readable) {
                t.got_key = true;
            } else {
                t.refusals.insert("the kernel cannot read it");
            }
            continue;
        }
        ++t.secret_pages;
        if (readable || says(*answer, "direct_map=1")) {
            ++t.secret_pages_read;
        } else {
            t.refusals.insert("not in the direct map");
        }
    }
    if (probed == 0)
        return {outcome::result::skipped, "no page of the targets is present"};
    outcome o = t.result("");
    if (o.what == outcome::result::leaked && t.got_key && t.secret_pages_read == 0)
        o.detail = "the kernel reads it";
    return o;
}

// Which of a core file's PT_LOAD segments hold bytes: [start, filesz].
std::vector<std::pair<std::uintptr_t, std::uint64_t>> dumped_segments(const std::string& core)
{
    std::vector<std::pair<std::uintptr_t, std::uint64_t>> segments;
    Elf64_Ehdr header{};
    if (core.size() < sizeof(header))
        return segments;
    std::memcpy(&header, core.data(), sizeof(header));
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        const std::size_t at = header.e_phoff + i * std::size_t{header.e_phentsize};
        Elf64_Phdr ph{};
        if (at + sizeof(ph) > core.size())
            break;
        std::memcpy(&ph, core.data() + at, sizeof(ph));
        if (ph.p_type == PT_LOAD)
            segments.emplace_back(ph.p_vaddr, ph.p_filesz);
    }
    return segments;
}

std::optional<std::string> core_file_of(pid_t pid, std::string& why)
{
    std::ifstream pattern_file("/proc/sys/kernel/core_pattern");
    std::string pattern;
    std::getline(pattern_file, pattern);
    if (pattern != "core") {
        why = "core_pattern is '" + pattern + "', not 'core'";
        return std::nullopt;
    }
    std::ifstream uses_pid_file("/proc/sys/kernel/core_uses_pid");
    int uses_pid = 0;
    uses_pid_file >> uses_pid;
    std::error_code ec;
    const auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
    if (ec) {
        why = "the process's cwd: " + ec.message();
        return std::nullopt;
    }
    return (cwd / (uses_pid != 0 ? "core." + std::to_string(pid) : std::string("core"))).string();
}

// Crashes the process with SIGABRT, its core limit lifted, and searches the
// core file the kernel writes.  Ends the process.
outcome core_dump_process(pid_t pid, const std::vector<mapping_info>& secret,
                          const std::vector<std::byte>& key)
{
    std::string why;
    const auto path = core_file_of(pid, why);
    if (!path)
        return {outcome::result::skipped, why};
    std::error_code ignored;
    std::filesystem::remove(*path, ignored);
    // Not glibc's pidfd_open(): Debian 12's header declares it without C linkage.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0)
        return {outcome::result::broken, std::string("pidfd_open: ") + std::strerror(errno)};
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (::prlimit(pid, RLIMIT_CORE, &unlimited, nullptr) != 0 || ::kill(pid, SIGABRT) != 0) {
        const int error = errno;
        ::close(pidfd);
        return {outcome::result::broken, std::string("SIGABRT: ") + std::strerror(error)};
    }
    // It is not our child: its pidfd says when it is gone, core written.
    pollfd gone{pidfd, POLLIN, 0};
    constexpr int patience_ms = 120'000; // TCG is slow to write a large core
    const int ready = ::poll(&gone, 1, patience_ms);
    ::close(pidfd);
    if (ready != 1)
        return {outcome::result::broken, "the process did not end after SIGABRT"};
    std::ifstream file(*path, std::ios::binary);
    if (!file)
        return {outcome::result::broken, "no core file at " + *path};
    const std::string core((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    std::filesystem::remove(*path, ignored);
    const auto* bytes = reinterpret_cast<const std::byte*>(core.data());
    const bool has_key =
        std::search(bytes, bytes + core.size(), key.begin(), key.end()) != bytes + core.size();
    std::size_t dumped = 0;
    for (const auto& [start, filesz] : dumped_segments(core)) {
        for (const mapping_info& m : secret)
            dumped += m.start == start && filesz > 0 ? 1 : 0;
    }
    if (has_key || dumped > 0) {
        std::string what = has_key ? "the key is in the core" : "";
        if (dumped > 0)
            what += (what.empty() ? "" : "; ") + std::to_string(dumped) + " secret mappings DUMPED";
        return {outcome::result::leaked, what};
    }
    return {outcome::result::refused, "not in the core"};
}

struct row {
    std::string attack;
    std::vector<outcome> cells;
};

std::string cell_text(const outcome& o)
{
    switch (o.what) {
    case outcome::result::leaked:
    case outcome::result::refused:
        return o.detail;
    case outcome::result::skipped:
        return "NOT TRIED: " + o.detail;
    case outcome::result::broken:
        return "BROKEN: " + o.detail;
    }
    return "?";
}

void print_table(const std::vector<running_process>& processes, const std::vector<row>& rows)
{
    std::vector<std::vector<std::string>> text{{"attack"}};
    for (const running_process& p : processes)
        text.front().push_back(p.label);
    for (const row& r : rows) {
        text.push_back({r.attack});
        for (const outcome& o : r.cells)
            text.back().push_back(cell_text(o));
    }
    std::vector<std::size_t> width(text.front().size());
    for (const auto& line : text) {
        for (std::size_t i = 0; i < line.size(); ++i)
            width[i] = std::max(width[i], line[i].size());
    }
    auto print = [&](const std::vector<std::string>& line) {
        std::string out;
        for (std::size_t i = 0; i < line.size(); ++i) {
            out += line[i];
            if (i + 1 < line.size())
                out += std::string(width[i] - line[i].size() + 2, ' ');
        }
        std::printf("%s\n", out.c_str());
    };
    print(text.front());
    std::vector<std::string> rule;
    rule.reserve(width.size());
    for (const std::size_t w : width)
        rule.emplace_back(w, '-');
    print(rule);
    for (std::size_t i = 1; i < text.size(); ++i)
        print(text[i]);
}

} // namespace

bool attack_processes(const std::vector<running_process>& processes,
                      const std::vector<std::byte>& key)
{
    std::vector<row> rows{{"scan readable memory", {}},   {"ptrace PEEKDATA", {}},
                          {"/proc/PID/mem read", {}},     {"process_vm_readv", {}},
                          {"kernel direct-map read", {}}, {"core dump (SIGABRT)", {}}};
    bool as_expected = true;
    for (const running_process& p : processes) {
        const std::vector<mapping_info> mappings = read_smaps(p.pid);
        if (mappings.empty()) {
            std::printf("PID %d: no /proc/%d/smaps: is it running?\n", p.pid, p.pid);
            return false;
        }
        std::vector<mapping_info> secret;
        std::copy_if(mappings.begin(), mappings.end(), std::back_inserter(secret),
                     [](const mapping_info& m) { return !m.secret_kind.empty(); });

        const scan_result scan = scan_readable(p.pid, key);
        std::vector<spot> spots;
        if (scan.found) {
            const std::byte* at = remote(*scan.found);
            spots.push_back({at, frame_of(at, p.pid), true});
        }
        std::set<std::string> kinds;
        std::size_t secret_kb = 0;
        for (const mapping_info& m : secret) {
            kinds.insert(m.secret_kind);
            secret_kb += (m.end - m.start) / 1024;
            const auto frames = frames_of(m.address(), m.pages(), p.pid);
            bool any = false;
            for (std::size_t i = 0; i < frames.size(); ++i) {
                if (frames[i]) {
                    spots.push_back({m.address() + i * page, frames[i], false});
                    any = true;
                }
            }
            // Nothing faulted in yet: its first page still must not be read.
            if (!any)
                spots.push_back({m.address(), std::nullopt, false});
        }

        std::printf("%s (PID %d)\n", p.label.c_str(), static_cast<int>(p.pid));
        if (scan.found) {
            std::printf("  the key:  at %s, in %s\n", hex(*scan.found).c_str(),
                        where(mappings, *scan.found).c_str());
        } else {
            std::printf("  the key:  in no readable page\n");
        }
        if (secret.empty()) {
            std::printf("  secret:   no mapping\n");
        } else {
            std::string kind_list;
            for (const std::string& k : kinds)
                kind_list += (kind_list.empty() ? "" : ", ") + k;
            const auto pages = std::count_if(spots.begin(), spots.end(),
                                             [](const spot& s) { return !s.is_key && s.frame; });
            std::printf("  secret:   %zu mappings (%s), %zu KiB; all %td present pages attacked\n",
                        secret.size(), kind_list.c_str(), secret_kb, pages);
        }

        std::vector<outcome> cells;
        cells.push_back(scan.found ? outcome{outcome::result::leaked,
                                             "found in " + where(mappings, *scan.found)}
                                   : outcome{outcome::result::refused,
                                             "not found (" + mib(scan.bytes_read) + " read)"});
        if (spots.empty()) {
            // Neither a key to aim at nor secret memory: the other attacks
            // have no target, and the control found nothing.
            for (std::size_t i = 1; i < rows.size(); ++i)
                cells.push_back({outcome::result::skipped, "no secret mapping, no key found"});
        } else {
            cells.push_back(ptrace_peek_spots(p.pid, spots, key));
            cells.push_back(
                read_spots(spots, key, [&p](const std::byte* at, std::byte* out, std::size_t n) {
                    return test::read_proc_mem(p.pid, at, out, n);
                }));
            cells.push_back(
                read_spots(spots, key, [&p](const std::byte* at, std::byte* out, std::size_t n) {
                    return test::read_process_vm(p.pid, at, out, n);
                }));
            cells.push_back(probe_spots(spots));
            cells.push_back(core_dump_process(p.pid, secret, key));
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            rows[i].cells.push_back(cells[i]);
            const auto expected = p.control ? outcome::result::leaked : outcome::result::refused;
            as_expected = as_expected && cells[i].what == expected;
        }
    }
    std::printf("\n");
    print_table(processes, rows);
    return as_expected;
}

} // namespace secretmem::attack
