// SPDX-License-Identifier: MIT
// Search another process's memory for secrets the way an attacker with
// ptrace rights would: every readable mapping in /proc/PID/maps, read
// through /proc/PID/mem.  Pages the kernel refuses (secret memory, [vvar],
// mappings that vanished meanwhile) are counted, not fatal: how many pages
// could not be read is part of the evidence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace secretmem::memscan {

using bytes = std::vector<std::byte>;

struct mapping {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    std::string perms; // "rw-p"
    std::string name;  // path, "[heap]", or empty for anonymous memory

    [[nodiscard]] bool readable() const { return !perms.empty() && perms[0] == 'r'; }
    // The name, or "[anon]" for anonymous memory; what reports print.
    [[nodiscard]] std::string label() const;
};

// "[heap] rw-p +0x1a30": which mapping holds `address`, and where in it.
[[nodiscard]] std::string describe(const mapping& m, std::uintptr_t address);

// /proc/PID/maps, in address order; empty when the process is gone.
[[nodiscard]] std::vector<mapping> read_maps(pid_t pid);

struct hit {
    std::size_t needle = 0; // index into the needles searched for
    std::uintptr_t address = 0;
    std::size_t mapping = 0; // index into scan_result::mappings
};

// What reading one mapping gave.
struct mapping_result {
    mapping map;
    std::size_t pages_read = 0;
    std::size_t pages_failed = 0;
    int first_error = 0;   // errno of the first page that failed
    bool vanished = false; // no longer in /proc/PID/maps after a failure
};

// Bytes read from one run of contiguous readable pages, kept when asked.
struct segment {
    std::uintptr_t address = 0;
    std::size_t mapping = 0;
    bytes data;
};

// A copy of part of a needle: bytes [offset, offset + length) of it.
struct partial {
    std::size_t needle = 0;
    std::size_t offset = 0;
    std::size_t length = 0;
    std::uintptr_t address = 0;
    std::size_t mapping = 0;
};

struct scan_result {
    std::vector<mapping_result> mappings; // the readable ones, in address order
    std::vector<hit> hits;
    std::vector<segment> segments; // only with options::keep
    // The address space went away before or during the scan (the process
    // exited, even if not yet reaped): what was read before still counts,
    // the rest of the mappings show no pages read.
    bool process_gone = false;

    [[nodiscard]] std::size_t pages_read() const;
    [[nodiscard]] std::size_t pages_failed() const;
    // Search the kept segments (options::keep) for needles found later, such
    // as a key the process only reveals after the snapshot.
    [[nodiscard]] std::vector<hit> search(std::span<const bytes> needles) const;
    // Copies of at least `width` (>= 8) consecutive bytes of a needle in the
    // kept segments, such as half a key left in a freed chunk; whole copies
    // are hits, not partials.
    [[nodiscard]] std::vector<partial> partials(std::span<const bytes> needles,
                                                std::size_t width) const;
    // Every hit of needle `needle` among `hits`.
    [[nodiscard]] static std::vector<hit> of(const std::vector<hit>& hits, std::size_t needle);
};

struct options {
    // Large reads for speed; a failed read falls back to one page at a time.
    std::size_t chunk = std::size_t{1} << 20;
    bool keep = false;
};

// Throws std::system_error when /proc/PID/mem cannot be opened for another
// reason than the process being gone (no ptrace rights: EACCES).
[[nodiscard]] scan_result scan(pid_t pid, std::span<const bytes> needles, const options& opts = {});

// As scan(), over a given list of mappings: a stale list is how a test
// makes a mapping vanish between reading the maps and reading the memory.
[[nodiscard]] scan_result scan_mappings(pid_t pid, const std::vector<mapping>& maps,
                                        std::span<const bytes> needles, const options& opts = {});

[[nodiscard]] bytes from_hex(std::string_view hex); // throws std::invalid_argument
[[nodiscard]] std::string to_hex(std::span<const std::byte> data);
[[nodiscard]] bytes reversed(bytes data);

} // namespace secretmem::memscan
