// SPDX-License-Identifier: MIT
#include "child_environment.hpp"

#include <array>
#include <filesystem>
#include <string>

namespace secretmem::cli {
namespace {

constexpr std::string_view preload_variable = "LD_PRELOAD";

// Every variable we set; any value the environment held for one goes.
constexpr std::array<std::string_view, 6> replaced{
    preload_variable,           "SECRETMEM_PRELOAD",           "SECRETMEM_PRELOAD_OPENSSL",
    "SECRETMEM_PRELOAD_REPORT", "SECRETMEM_PRELOAD_REPORT_FD", "SECRETMEM_ALLOW_DEGRADED"};

std::string_view name_of(std::string_view entry)
{
    return entry.substr(0, entry.find('='));
}

bool is_replaced(std::string_view entry)
{
    for (const std::string_view name : replaced) {
        if (name_of(entry) == name) {
            return true;
        }
    }
    return false;
}

// The shim first, then the other libraries `old` (an LD_PRELOAD value) names.
std::string preload_list(const std::string& shim, std::string_view old)
{
    const std::string shim_name = std::filesystem::path(shim).filename().string();
    std::string list = shim;
    while (!old.empty()) {
        const std::size_t end = old.find_first_of(": ");
        const std::string_view entry = old.substr(0, end);
        old = end == std::string_view::npos ? std::string_view{} : old.substr(end + 1);
        if (!entry.empty() && std::filesystem::path(entry).filename() != shim_name) {
            list += ':';
            list += entry;
        }
    }
    return list;
}

} // namespace

bool preloadable(std::string_view path)
{
    return !path.empty() && path.find_first_of(": ") == std::string_view::npos;
}

std::vector<std::string> child_environment(const char* const* current,
                                           const shim_settings& settings)
{
    std::vector<std::string> env;
    std::string_view old_preload;
    for (const char* const* entry = current; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        if (name_of(text) == preload_variable && text.size() > preload_variable.size()) {
            old_preload = text.substr(preload_variable.size() + 1);
        }
        if (!is_replaced(text)) {
            env.emplace_back(text);
        }
    }
    env.push_back(std::string(preload_variable) + "=" +
                  preload_list(settings.library, old_preload));
    env.push_back("SECRETMEM_PRELOAD=" + settings.mode);
    env.push_back("SECRETMEM_PRELOAD_OPENSSL=" + settings.openssl);
    env.emplace_back("SECRETMEM_PRELOAD_REPORT=1");
    if (settings.report_fd >= 0) {
        env.push_back("SECRETMEM_PRELOAD_REPORT_FD=" + std::to_string(settings.report_fd));
    }
    env.push_back(std::string("SECRETMEM_ALLOW_DEGRADED=") + (settings.allow_degraded ? "1" : "0"));
    return env;
}

} // namespace secretmem::cli
