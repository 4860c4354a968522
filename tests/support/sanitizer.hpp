// SPDX-License-Identifier: MIT
// Whether this test program was built with a sanitizer (make check-asan,
// make check-tsan), for the few checks its runtime makes meaningless.
#pragma once

namespace secretmem::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

// ASan's and TSan's runtimes replace mlock(2) with a stub that locks
// nothing and returns 0 (sanitizer_common's interceptor: locking would pin
// their shadow memory), so VmLck stays 0 and RLIMIT_MEMLOCK is never hit.
inline constexpr bool mlock_is_a_stub = sanitized;

} // namespace secretmem::test
