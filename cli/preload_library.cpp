// SPDX-License-Identifier: MIT
#include "preload_library.hpp"

#include "cli_config.h"

#include <cstdlib>
#include <system_error>

namespace secretmem::cli {
namespace {

constexpr const char* override_variable = "SECRETMEM_PRELOAD_LIBRARY";

std::vector<std::filesystem::path> candidates()
{
    namespace fs = std::filesystem;
    std::vector<fs::path> places;
    std::error_code error;
    const fs::path exe = fs::read_symlink("/proc/self/exe", error);
    if (!error) {
        const fs::path dir = exe.parent_path();
        places.push_back((dir / SECRETMEM_PRELOAD_FROM_BUILD_CLI).lexically_normal());
        const fs::path libdir_from_bindir =
            fs::path(SECRETMEM_INSTALL_LIBDIR).lexically_relative(SECRETMEM_INSTALL_BINDIR);
        places.push_back((dir / libdir_from_bindir / SECRETMEM_PRELOAD_NAME).lexically_normal());
    }
    places.push_back(fs::path(SECRETMEM_INSTALL_LIBDIR) / SECRETMEM_PRELOAD_NAME);
    return places;
}

bool is_file(const std::filesystem::path& path)
{
    std::error_code error;
    return std::filesystem::is_regular_file(path, error);
}

} // namespace

std::filesystem::path find_preload_library()
{
    if (const char* chosen = std::getenv(override_variable); chosen != nullptr && *chosen != '\0') {
        if (!is_file(chosen)) {
            throw preload_not_found(std::string(override_variable) + " is '" + chosen +
                                    "', which is not a file: set it to the path of " +
                                    SECRETMEM_PRELOAD_NAME + ", or unset it");
        }
        return std::filesystem::absolute(chosen);
    }
    std::string looked;
    for (const std::filesystem::path& place : candidates()) {
        if (is_file(place)) {
            return place;
        }
        looked += "\n  " + place.string();
    }
    throw preload_not_found(std::string("cannot find the preload shim ") + SECRETMEM_PRELOAD_NAME +
                            "; looked in:" + looked + "\nbuild it (ninja), install it, or set " +
                            override_variable + " to its path");
}

} // namespace secretmem::cli
