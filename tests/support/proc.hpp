// SPDX-License-Identifier: MIT
// What the kernel says about this process, read from /proc: the evidence the
// tests assert on, rather than return codes alone.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>

namespace secretmem::test {

// The permission field ("rw-p", "---p", "rw-s") of the mapping that holds
// `addr` in /proc/PID/maps, or nothing when no mapping holds it.
[[nodiscard]] std::optional<std::string> mapping_perms(const void* addr, pid_t pid = 0);

// pread() of /proc/PID/mem: 0 and `out` filled, or the errno.
[[nodiscard]] int read_proc_mem(pid_t pid, const void* addr, void* out, std::size_t length);

// process_vm_readv() of another process: 0 and `out` filled, or the errno.
[[nodiscard]] int read_process_vm(pid_t pid, const void* addr, void* out, std::size_t length);

} // namespace secretmem::test
