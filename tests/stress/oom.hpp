// SPDX-License-Identifier: MIT
// More secret memory than the machine has: the kernel must refuse it or
// OOM-kill the process that asked, and nothing else; afterwards the machine
// works and SecretMap is back to where it was.
#pragma once

namespace secretmem::stress {

// 0 when the outcome was clean, 1 otherwise; prints what happened.
[[nodiscard]] int run_oom();

} // namespace secretmem::stress
