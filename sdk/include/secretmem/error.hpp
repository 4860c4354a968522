// SPDX-License-Identifier: MIT
// One error scheme for the whole SDK: every failure is a std::error_code
// (errno values in std::system_category, policy failures in
// secretmem::category()), thrown as secretmem::error with a message that says
// what failed and what to do about it.
#pragma once

#include <string>
#include <system_error>

namespace secretmem {

enum class errc {
    // No backend that removes memory from the direct map can be used here.
    no_backend = 1,
    // Only the degraded mlock backend is usable and the policy refuses it.
    degraded_not_allowed,
    // The policy asked for one backend and this kernel cannot provide it.
    backend_unavailable,
    // An environment variable the SDK reads holds a value it does not know.
    bad_environment,
    // A region was used after being moved from.
    empty_region,
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

class error : public std::system_error {
public:
    error(std::error_code code, const std::string& message) : std::system_error(code, message) {}
};

} // namespace secretmem

template <>
struct std::is_error_code_enum<secretmem::errc> : std::true_type {
};
