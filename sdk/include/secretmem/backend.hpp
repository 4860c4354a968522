// SPDX-License-Identifier: MIT
// The backend interface: one way of getting memory that the kernel keeps
// secret.  Each backend lives in its own file under sdk/src/backends/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace secretmem {

enum class backend_kind : std::uint8_t {
    native, // mmap(MAP_SECRET) of the secretmem kernel series
    fd,     // memfd_secret(2), stock Linux >= 5.14
    locked, // mlock(2): degraded, still in the direct map
};

// Best first: the order in which the policy tries them.
inline constexpr std::array<backend_kind, 3> all_backends{backend_kind::native, backend_kind::fd,
                                                          backend_kind::locked};

[[nodiscard]] std::string_view to_string(backend_kind kind) noexcept;

// What memory from a backend is safe from.
struct protections {
    bool direct_map;          // kernel bugs and speculative reads through the direct map
    bool other_processes;     // ptrace, /proc/PID/mem, process_vm_readv (GUP refused)
    bool swap;                // never written to swap
    bool core_dump;           // absent from core dumps
    std::string_view on_fork; // what a child process sees
};

struct availability {
    bool usable;        // worth trying: available, or only limited by a resource limit
    int error;          // errno of the probe, 0 when available
    std::string reason; // for a person: what the probe saw and what to do
};

class backend {
public:
    backend() = default;
    backend(const backend&) = delete;
    backend& operator=(const backend&) = delete;
    backend(backend&&) = delete;
    backend& operator=(backend&&) = delete;
    virtual ~backend() = default;

    [[nodiscard]] virtual backend_kind kind() const noexcept = 0;
    // The kernel interface underneath, for messages: "mmap(MAP_SECRET)".
    [[nodiscard]] virtual std::string_view mechanism() const noexcept = 0;
    [[nodiscard]] virtual protections protects() const noexcept = 0;
    // Probed once per process, on first use.
    [[nodiscard]] virtual const availability& available() const = 0;

    // Replace [addr, addr + length) with secret memory, readable and
    // writable.  The range is page-aligned and lies inside a reservation the
    // caller owns, which it unmaps on failure.  A failure leaves the range
    // the caller's (still reserved, or mapped), never unmapped: someone
    // else's mmap() could take a hole.  Returns the errno of the failing
    // step.
    [[nodiscard]] virtual std::error_code map_at(void* addr, std::size_t length) const noexcept = 0;

    // In a child of fork(): make [addr, addr + length), which the parent had
    // mapped with this backend, secret memory of the child's own again,
    // readable, writable and zero-filled (what is left there after fork
    // differs by backend: see protections::on_fork).  Allocates nothing.
    [[nodiscard]] virtual std::error_code remake_after_fork(void* addr,
                                                            std::size_t length) const noexcept = 0;

    // Before fork(): have the kernel give the child its own copy of
    // [addr, addr + length), as secret as the parent's (`copy`), or leave
    // the child nothing of it (the default again).  An error where the
    // kernel cannot (every backend but native, a kernel without it): the
    // copy then goes through user space.  Allocates nothing.
    [[nodiscard]] virtual std::error_code kernel_copies_on_fork(void* addr, std::size_t length,
                                                                bool copy) const noexcept;

    // Still in the kernel's direct map: usable only when the caller allows it.
    [[nodiscard]] bool degraded() const noexcept { return !protects().direct_map; }
};

[[nodiscard]] const backend& backend_for(backend_kind kind) noexcept;

} // namespace secretmem
