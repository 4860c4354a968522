// SPDX-License-Identifier: MIT
// Which backend may hold a secret.  Fail-closed: unless the caller says
// otherwise, only memory removed from the kernel's direct map is handed out.
#pragma once

#include <secretmem/backend.hpp>

#include <cstddef>
#include <optional>

namespace secretmem {

enum class degraded_protection : std::uint8_t {
    // Refuse, unless SECRETMEM_ALLOW_DEGRADED=1 is set (the default).
    from_environment,
    // Refuse whatever the environment says.
    refuse,
    // Accept the mlock fallback when nothing better works.
    allow,
};

// What a child of fork() gets of a region (or of the secret heap).
enum class fork_behavior : std::uint8_t {
    // Its own copy, in fresh secret memory of the child's, never shared with
    // the parent (the default: a pre-forking server's workers need the keys
    // their parent loaded).  A child that cannot get it exits with status
    // 127.  posix_spawn() and vfork() copy nothing; exec() drops it.
    copy,
    // Fresh secret memory, zero-filled: the secret stays with the parent.
    wipe,
};

struct policy {
    degraded_protection degraded = degraded_protection::from_environment;
    // Use exactly this backend or fail; for tests, benchmarks and callers
    // with a requirement of their own.
    std::optional<backend_kind> only;
    fork_behavior on_fork = fork_behavior::copy;
};

// Whether the policy accepts the degraded backend, after reading
// SECRETMEM_ALLOW_DEGRADED.  Throws secretmem::error for a value other than
// "0" or "1".
[[nodiscard]] bool allows_degraded(const policy& p);

// Map secret memory at [addr, addr + length) (page-aligned, inside a
// reservation the caller owns) with the best backend the policy accepts.
// Returns that backend; throws secretmem::error naming every backend tried
// and why it failed.
[[nodiscard]] const backend& map_secret_at(void* addr, std::size_t length, const policy& p);

} // namespace secretmem
