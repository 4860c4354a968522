// SPDX-License-Identifier: MIT
// How another process, or the kernel itself, gets at a process's memory.
// The table's attacks aim these at victims they fork; --pid aims them at a
// program that is already running (process_attack.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace secretmem::attack {

// Attach with PTRACE_SEIZE and stop the process with PTRACE_INTERRUPT:
// 0, or the errno of the step that failed.
[[nodiscard]] int ptrace_stop(pid_t pid);
void ptrace_detach(pid_t pid);

// PTRACE_PEEKDATA, word by word, of a process ptrace_stop() stopped: 0 and
// `out` filled, or the errno of the first word refused.  `length` is
// rounded up to whole words; `out` must have room for them.
[[nodiscard]] int peek_words(pid_t pid, const std::byte* address, std::byte* out,
                             std::size_t length);

// The physical frames behind `pages` pages of a process from `start` (pid
// 0: this one), from /proc/PID/pagemap, which shows frame numbers to root
// only.  Nothing for a page that is not present; empty when pagemap cannot
// be read.
[[nodiscard]] std::vector<std::optional<std::uint64_t>> frames_of(const void* start,
                                                                  std::size_t pages, pid_t pid = 0);
[[nodiscard]] std::optional<std::uint64_t> frame_of(const void* address, pid_t pid = 0);

// CONFIG_DEBUG_SECRET_MAP's probe: for a frame, whether the kernel's direct
// map still maps it and whether a kernel read through that alias faults, as
// a kernel read primitive or a speculative gadget would find it.  Its line:
// "pfn=N secret=0|1 direct_map=0|1 kernel_read=ok|fault zeroed=yes|no|unknown
// wipe=0|1 free=0|1 pool=0|1 level=4k|2m|1g".  Nothing when the probe is
// missing.
inline constexpr const char* probe_path = "/sys/kernel/debug/secret_map/probe";
[[nodiscard]] std::optional<std::string> probe_frame(std::uint64_t pfn);
[[nodiscard]] bool says(const std::string& answer, const char* field);

} // namespace secretmem::attack
