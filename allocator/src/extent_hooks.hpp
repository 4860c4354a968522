// SPDX-License-Identifier: MIT
// jemalloc extent hooks that take every extent of the secret arenas from the
// secret heap's reservation.
#pragma once

#include "jemalloc_private.hpp"

namespace secretmem::heap {

[[nodiscard]] extent_hooks_t* secret_extent_hooks() noexcept;

} // namespace secretmem::heap
