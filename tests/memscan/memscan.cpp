// SPDX-License-Identifier: MIT
#include "memscan.hpp"

#include <unique_fd.hpp>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <unistd.h>
#include <unordered_map>

namespace secretmem::memscan {
namespace {

const std::size_t page_size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

std::string proc_path(pid_t pid, const char* leaf)
{
    return "/proc/" + std::to_string(pid) + "/" + leaf;
}

std::size_t max_length(std::span<const bytes> needles)
{
    std::size_t longest = 0;
    for (const bytes& n : needles)
        longest = std::max(longest, n.size());
    return longest;
}

// Index of the mapping in `mappings` that holds `address` (sorted by start).
std::size_t mapping_of(const std::vector<mapping_result>& mappings, std::uintptr_t address)
{
    const auto it =
        std::upper_bound(mappings.begin(), mappings.end(), address,
                         [](std::uintptr_t a, const mapping_result& m) { return a < m.map.start; });
    return it == mappings.begin() ? 0 : static_cast<std::size_t>(it - mappings.begin() - 1);
}

// Occurrences of each needle in `data`, which starts at `address`.  Only
// those ending past `old` count: the first `old` bytes were searched before.
void find_all(std::span<const std::byte> data, std::uintptr_t address, std::size_t old,
              std::span<const bytes> needles, const std::vector<mapping_result>& mappings,
              std::vector<hit>& out)
{
    for (std::size_t n = 0; n < needles.size(); ++n) {
        const bytes& needle = needles[n];
        if (needle.empty() || needle.size() > data.size())
            continue;
        const std::size_t first = old >= needle.size() ? old - needle.size() + 1 : 0;
        const std::byte* base = data.data();
        const std::byte* from = base + first;
        const std::byte* const end = base + data.size();
        while (from + needle.size() <= end) {
            const void* found =
                ::memmem(from, static_cast<std::size_t>(end - from), needle.data(), needle.size());
            if (found == nullptr)
                break;
            const auto* at = static_cast<const std::byte*>(found);
            const std::uintptr_t where = address + static_cast<std::uintptr_t>(at - base);
            out.push_back({n, where, mapping_of(mappings, where)});
            from = at + 1;
        }
    }
}

// Carries the tail of the bytes read so far into the next read, so that a
// needle split across two reads (or two adjacent mappings) is still found.
class window {
public:
    window(std::size_t carry, std::size_t chunk) : carry_(carry), buffer_(carry + chunk) {}

    // Where the next read of the bytes at `address` goes.
    std::byte* prepare(std::uintptr_t address)
    {
        if (address != next_ || kept_ == 0) {
            kept_ = 0;
        } else if (kept_ > carry_) {
            std::memmove(buffer_.data(), buffer_.data() + kept_ - carry_, carry_);
            kept_ = carry_;
        }
        start_ = address - kept_;
        return buffer_.data() + kept_;
    }
    // `length` bytes arrived where prepare() said; returns the bytes to
    // search and how many of them at the front were searched before.
    std::pair<std::span<const std::byte>, std::size_t> commit(std::size_t length)
    {
        const std::size_t old = kept_;
        kept_ += length;
        next_ = start_ + kept_;
        return {std::span<const std::byte>(buffer_.data(), kept_), old};
    }
    void reset() { kept_ = 0; }
    [[nodiscard]] std::uintptr_t start() const { return start_; }

private:
    std::size_t carry_;
    bytes buffer_;
    std::size_t kept_ = 0;
    std::uintptr_t start_ = 0;
    std::uintptr_t next_ = 0;
};

bool overlaps_readable(const std::vector<mapping>& maps, const mapping& m)
{
    return std::any_of(maps.begin(), maps.end(), [&](const mapping& now) {
        return now.readable() && now.start < m.end && m.start < now.end;
    });
}

} // namespace

std::string mapping::label() const
{
    return name.empty() ? "[anon]" : name;
}

std::string describe(const mapping& m, std::uintptr_t address)
{
    char offset[32];
    std::snprintf(offset, sizeof(offset), " +0x%" PRIxPTR, address - m.start);
    return m.label() + " " + m.perms + offset;
}

std::vector<mapping> read_maps(pid_t pid)
{
    std::vector<mapping> maps;
    std::ifstream in(proc_path(pid, "maps"));
    for (std::string line; std::getline(in, line);) {
        mapping m;
        char perms[5] = {};
        int name_at = 0;
        // start-end perms offset dev inode [name]
        if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s %*s %*s %*s %n", &m.start,
                        &m.end, perms, &name_at) < 3)
            continue;
        m.perms = perms;
        if (name_at > 0 && static_cast<std::size_t>(name_at) < line.size())
            m.name = line.substr(static_cast<std::size_t>(name_at));
        maps.push_back(std::move(m));
    }
    return maps;
}

std::size_t scan_result::pages_read() const
{
    std::size_t total = 0;
    for (const mapping_result& m : mappings)
        total += m.pages_read;
    return total;
}

std::size_t scan_result::pages_failed() const
{
    std::size_t total = 0;
    for (const mapping_result& m : mappings)
        total += m.pages_failed;
    return total;
}

std::vector<hit> scan_result::search(std::span<const bytes> needles) const
{
    std::vector<hit> found;
    for (const segment& s : segments)
        find_all(s.data, s.address, 0, needles, mappings, found);
    return found;
}

std::vector<partial> scan_result::partials(std::span<const bytes> needles, std::size_t width) const
{
    if (width < sizeof(std::uint64_t))
        throw std::invalid_argument("partial matches need a width of 8 bytes or more");
    struct origin {
        std::size_t needle;
        std::size_t offset;
    };
    // Every window of every needle, found by its first 8 bytes; the 16-bit
    // filter keeps the hash lookups to the rare positions that may match.
    std::unordered_map<std::uint64_t, std::vector<origin>> by_prefix;
    std::vector<bool> filter(std::size_t{1} << 16U);
    for (std::size_t n = 0; n < needles.size(); ++n) {
        for (std::size_t o = 0; o + width <= needles[n].size(); ++o) {
            std::uint64_t prefix = 0;
            std::memcpy(&prefix, needles[n].data() + o, sizeof(prefix));
            by_prefix[prefix].push_back({n, o});
            filter[prefix & 0xffffU] = true;
        }
    }
    struct match {
        std::size_t needle;
        std::uintptr_t start; // where the whole needle would begin
        std::size_t offset;
    };
    std::vector<match> matches;
    for (const segment& s : segments) {
        for (std::size_t p = 0; p + width <= s.data.size(); ++p) {
            std::uint64_t prefix = 0;
            std::memcpy(&prefix, s.data.data() + p, sizeof(prefix));
            if (!filter[prefix & 0xffffU])
                continue;
            const auto it = by_prefix.find(prefix);
            if (it == by_prefix.end())
                continue;
            for (const origin& o : it->second) {
                if (std::memcmp(s.data.data() + p, needles[o.needle].data() + o.offset, width) == 0)
                    matches.push_back({o.needle, s.address + p - o.offset, o.offset});
            }
        }
    }
    std::sort(matches.begin(), matches.end(), [](const match& a, const match& b) {
        return std::tie(a.needle, a.start, a.offset) < std::tie(b.needle, b.start, b.offset);
    });
    // Overlapping windows at the same alignment are one copy.
    std::vector<partial> out;
    for (std::size_t i = 0; i < matches.size();) {
        std::size_t j = i + 1;
        while (j < matches.size() && matches[j].needle == matches[i].needle &&
               matches[j].start == matches[i].start &&
               matches[j].offset == matches[j - 1].offset + 1)
            ++j;
        const match& first = matches[i];
        const std::size_t length = matches[j - 1].offset - first.offset + width;
        if (first.offset != 0 || length != needles[first.needle].size()) {
            const std::uintptr_t at = first.start + first.offset;
            out.push_back({first.needle, first.offset, length, at, mapping_of(mappings, at)});
        }
        i = j;
    }
    return out;
}

std::vector<hit> scan_result::of(const std::vector<hit>& hits, std::size_t needle)
{
    std::vector<hit> selected;
    std::copy_if(hits.begin(), hits.end(), std::back_inserter(selected),
                 [&](const hit& h) { return h.needle == needle; });
    return selected;
}

scan_result scan(pid_t pid, std::span<const bytes> needles, const options& opts)
{
    return scan_mappings(pid, read_maps(pid), needles, opts);
}

scan_result scan_mappings(pid_t pid, const std::vector<mapping>& maps,
                          std::span<const bytes> needles, const options& opts)
{
    scan_result result;
    for (const mapping& m : maps) {
        if (m.readable())
            result.mappings.push_back({m});
    }
    std::sort(
        result.mappings.begin(), result.mappings.end(),
        [](const mapping_result& a, const mapping_result& b) { return a.map.start < b.map.start; });

    const posix::unique_fd mem(::open(proc_path(pid, "mem").c_str(), O_RDONLY | O_CLOEXEC));
    if (mem.get() < 0) {
        // A zombie's mem cannot be opened (ESRCH: it has no address space
        // left), nor that of a process already reaped (ENOENT: no /proc
        // entry): gone, like a process whose reads start returning 0 below.
        // Anything else, such as EACCES without ptrace rights, is an error.
        if (errno == ESRCH || errno == ENOENT) {
            result.process_gone = true;
            return result;
        }
        throw std::system_error(errno, std::generic_category(), proc_path(pid, "mem"));
    }

    const std::size_t longest = max_length(needles);
    const std::size_t chunk = std::max(page_size, opts.chunk / page_size * page_size);
    window buffer(longest > 0 ? longest - 1 : 0, chunk);

    for (std::size_t i = 0; i < result.mappings.size() && !result.process_gone; ++i) {
        mapping_result& r = result.mappings[i];
        std::uintptr_t address = r.map.start;
        while (address < r.map.end) {
            const std::size_t length = std::min<std::uintptr_t>(chunk, r.map.end - address);
            std::byte* into = buffer.prepare(address);
            const ssize_t n = ::pread(mem.get(), into, length, static_cast<off_t>(address));
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0) {
                // The kernel returns 0, not an error, once the mm is gone.
                result.process_gone = true;
                break;
            }
            if (n < 0) {
                // One page at a time from here, so that the count is exact.
                if (r.first_error == 0)
                    r.first_error = errno;
                ++r.pages_failed;
                address += page_size;
                buffer.reset();
                continue;
            }
            const auto got = static_cast<std::size_t>(n);
            r.pages_read += (got + page_size - 1) / page_size;
            const auto [data, old] = buffer.commit(got);
            find_all(data, buffer.start(), old, needles, result.mappings, result.hits);
            if (opts.keep) {
                if (result.segments.empty() ||
                    result.segments.back().address + result.segments.back().data.size() != address)
                    result.segments.push_back({address, i, {}});
                bytes& kept = result.segments.back().data;
                kept.insert(kept.end(), into, into + got);
            }
            address += got;
        }
    }

    const std::vector<mapping> now = read_maps(pid);
    for (mapping_result& r : result.mappings) {
        if (r.pages_failed > 0)
            r.vanished = !overlaps_readable(now, r.map);
    }
    return result;
}

bytes from_hex(std::string_view hex)
{
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string clean;
    for (const char c : hex) {
        if (c != ':' && c != ' ' && c != '\n')
            clean.push_back(c);
    }
    if (clean.size() % 2 != 0)
        throw std::invalid_argument("odd number of hex digits");
    bytes out;
    for (std::size_t i = 0; i < clean.size(); i += 2) {
        const int hi = digit(clean[i]);
        const int lo = digit(clean[i + 1]);
        if (hi < 0 || lo < 0)
            throw std::invalid_argument("not a hex digit in '" + std::string(hex) + "'");
        out.push_back(static_cast<std::byte>(hi * 16 + lo));
    }
    return out;
}

std::string to_hex(std::span<const std::byte> data)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::byte b : data) {
        const auto v = std::to_integer<unsigned>(b);
        out.push_back(digits[v >> 4U]);
        out.push_back(digits[v & 15U]);
    }
    return out;
}

bytes reversed(bytes data)
{
    std::reverse(data.begin(), data.end());
    return data;
}

} // namespace secretmem::memscan
