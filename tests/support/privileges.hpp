// SPDX-License-Identifier: MIT
// Real restrictions, applied to the calling process (tests run them in a
// child): a seccomp filter that makes the kernel look as if it lacked the
// secret-memory system calls, and dropping CAP_IPC_LOCK so RLIMIT_MEMLOCK
// applies to root too.
#pragma once

namespace secretmem::test {

// From now on memfd_secret() fails with ENOSYS, or EPERM when `deny`, and
// mprotect() with PROT_SECRET and mmap() with MAP_SECRET fail with EINVAL,
// as on a kernel without the series.  Aborts if the filter cannot be
// installed.
void hide_secret_syscalls(bool deny = false);

// Remove CAP_IPC_LOCK from the effective set and set RLIMIT_MEMLOCK to
// `bytes`.  Aborts on failure.
void limit_memlock(unsigned long bytes);

} // namespace secretmem::test
