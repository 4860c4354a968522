// SPDX-License-Identifier: MIT
#include <secretmem/error.hpp>
#include <secretmem/policy.hpp>

#include "map_failure.hpp"

#include <cstdlib>
#include <string>

namespace secretmem {
namespace {

constexpr const char* allow_degraded_variable = "SECRETMEM_ALLOW_DEGRADED";

bool environment_allows_degraded()
{
    const char* value = std::getenv(allow_degraded_variable);
    if (value == nullptr || std::string_view(value) == "0")
        return false;
    if (std::string_view(value) == "1")
        return true;
    throw error(errc::bad_environment, std::string(allow_degraded_variable) + " is '" + value +
                                           "': set it to 1 to allow the mlock fallback (secrets "
                                           "stay in the kernel's direct map) or 0 to refuse it");
}

std::string refusal_of_degraded()
{
    return "refused: mlock'd memory stays in the kernel's direct map; allow it with "
           "policy::degraded = degraded_protection::allow or " +
           std::string(allow_degraded_variable) + "=1";
}

} // namespace

bool allows_degraded(const policy& p)
{
    switch (p.degraded) {
    case degraded_protection::allow:
        return true;
    case degraded_protection::refuse:
        return false;
    case degraded_protection::from_environment:
        break;
    }
    return environment_allows_degraded();
}

const backend& map_secret_at(void* addr, std::size_t length, const policy& p)
{
    const bool degraded_ok = allows_degraded(p);
    std::string tried;
    std::error_code failure;
    bool degraded_refused = false;

    for (const backend_kind kind : all_backends) {
        if (p.only && *p.only != kind)
            continue;
        const backend& b = backend_for(kind);
        std::string why;
        if (b.degraded() && !degraded_ok) {
            why = refusal_of_degraded();
            degraded_refused = b.available().usable;
        } else if (!b.available().usable) {
            why = b.available().reason;
        } else if (const std::error_code ec = b.map_at(addr, length); ec) {
            failure = ec;
            why = detail::describe_map_failure(b, ec.value(), length);
        } else {
            return b;
        }
        tried +=
            "\n  " + std::string(to_string(kind)) + " (" + std::string(b.mechanism()) + "): " + why;
    }

    if (!failure) {
        failure = degraded_refused ? errc::degraded_not_allowed
                  : p.only         ? errc::backend_unavailable
                                   : errc::no_backend;
    }
    throw error(failure, "no secret memory for " + detail::format_bytes(length) + ":" + tried);
}

} // namespace secretmem
