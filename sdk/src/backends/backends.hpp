// SPDX-License-Identifier: MIT
// The three backends, each defined in its own file, and what they share.
#pragma once

#include <secretmem/backend.hpp>
#include <secretmem/probe.h>

namespace secretmem::detail {

[[nodiscard]] const backend& native_backend() noexcept;
[[nodiscard]] const backend& fd_backend() noexcept;
[[nodiscard]] const backend& locked_backend() noexcept;

// The kernel's answers, probed once per process.
[[nodiscard]] const secretmem_probe_result& kernel_probe();

// Turn one probed feature into an availability; `absent` explains, for a
// person, what it means that the kernel lacks the feature.
[[nodiscard]] availability to_availability(const secretmem_feature& feature, const char* mechanism,
                                           const char* absent);

} // namespace secretmem::detail
