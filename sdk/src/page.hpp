// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <unistd.h>

namespace secretmem::detail {

[[nodiscard]] inline std::size_t page_size() noexcept
{
    static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

[[nodiscard]] inline std::size_t round_up_to_page(std::size_t n) noexcept
{
    const std::size_t page = page_size();
    return (n + page - 1) / page * page;
}

} // namespace secretmem::detail
