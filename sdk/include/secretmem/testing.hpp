// SPDX-License-Identifier: MIT
// Test hooks.  Not for production code: they exist so tests can observe
// effects that are otherwise invisible, such as the wipe before munmap().
#pragma once

#include <cstddef>
#include <span>

namespace secretmem::testing {

// Called with a region's whole memory after it was wiped and before it is
// unmapped; nullptr (the default) turns it off.
using release_observer = void (*)(std::span<const std::byte> wiped);
void set_release_observer(release_observer observer) noexcept;

} // namespace secretmem::testing
