// SPDX-License-Identifier: MIT
#pragma once

#include <cstring>
#include <string>

namespace secretmem::detail {

// "EAGAIN (Resource temporarily unavailable)": the name is what people search for.
[[nodiscard]] inline std::string errno_text(int error)
{
    const char* name = ::strerrorname_np(error);
    return std::string(name != nullptr ? name : "errno " + std::to_string(error)) + " (" +
           std::strerror(error) + ")";
}

} // namespace secretmem::detail
