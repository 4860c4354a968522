// SPDX-License-Identifier: MIT
#include "format.hpp"

#include <array>
#include <iomanip>
#include <sstream>

namespace secretmem::cli {

std::string format_bytes(std::uint64_t n)
{
    constexpr std::uint64_t step = 1024;
    if (n < step) {
        return std::to_string(n) + (n == 1 ? " byte" : " bytes");
    }
    constexpr std::array<const char*, 5> units{"KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t unit = 0;
    std::uint64_t scale = step;
    while (unit + 1 < units.size() && n / scale >= step) {
        scale *= step;
        ++unit;
    }
    std::ostringstream out;
    if (n % scale == 0) {
        out << n / scale;
    } else {
        out << std::fixed << std::setprecision(1)
            << static_cast<double>(n) / static_cast<double>(scale);
    }
    out << ' ' << units.at(unit);
    return out.str();
}

} // namespace secretmem::cli
