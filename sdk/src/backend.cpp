// SPDX-License-Identifier: MIT
#include "backends/backends.hpp"
#include "errno_text.hpp"

#include <string>

namespace secretmem {

std::string_view to_string(backend_kind kind) noexcept
{
    switch (kind) {
    case backend_kind::native:
        return "native";
    case backend_kind::fd:
        return "fd";
    case backend_kind::locked:
        return "locked";
    }
    return "unknown";
}

const backend& backend_for(backend_kind kind) noexcept
{
    switch (kind) {
    case backend_kind::native:
        return detail::native_backend();
    case backend_kind::fd:
        return detail::fd_backend();
    case backend_kind::locked:
        break;
    }
    return detail::locked_backend();
}

std::error_code backend::kernel_copies_on_fork(void* /*addr*/, std::size_t /*length*/,
                                               bool /*copy*/) const noexcept
{
    return std::make_error_code(std::errc::operation_not_supported);
}

namespace detail {

const secretmem_probe_result& kernel_probe()
{
    static const secretmem_probe_result result = [] {
        secretmem_probe_result r{};
        (void)secretmem_probe(&r);
        return r;
    }();
    return result;
}

availability to_availability(const secretmem_feature& feature, const char* mechanism,
                             const char* absent)
{
    const std::string failed = std::string(mechanism) + " failed with " + errno_text(feature.error);
    switch (feature.status) {
    case SECRETMEM_AVAILABLE:
        return {true, 0, "available"};
    case SECRETMEM_ABSENT:
        return {false, feature.error, absent};
    case SECRETMEM_DENIED:
        return {false, feature.error,
                failed + ": refused by a seccomp filter or a security module"};
    case SECRETMEM_LIMITED:
        return {true, feature.error,
                failed + ": a resource limit (RLIMIT_MEMLOCK, see `ulimit -l`) stops it now"};
    case SECRETMEM_FAILED:
        break;
    }
    return {false, feature.error, failed};
}

} // namespace detail
} // namespace secretmem
