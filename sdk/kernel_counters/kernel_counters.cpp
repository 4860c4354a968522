// SPDX-License-Identifier: MIT
#include "kernel_counters.hpp"

#include <unique_fd.hpp>

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace secretmem::counters {

namespace {

constexpr const char* drain_knob = "/proc/sys/vm/secret_map_pool_drain";

std::optional<std::int64_t> lookup(const std::map<std::string, std::int64_t>& table,
                                   const std::string& name)
{
    auto it = table.find(name);
    if (it == table.end()) {
        return std::nullopt;
    }
    return it->second;
}

} // namespace

std::map<std::string, std::int64_t> read_table(const char* path)
{
    std::map<std::string, std::int64_t> table;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        std::int64_t value = 0;
        if (!(fields >> name >> value)) {
            continue;
        }
        if (!name.empty() && name.back() == ':') {
            name.pop_back();
        }
        table.emplace(std::move(name), value);
    }
    return table;
}

snapshot snapshot::take()
{
    return snapshot{read_table("/proc/vmstat"), read_table("/proc/meminfo")};
}

std::optional<std::int64_t> snapshot::event(const std::string& name) const
{
    return lookup(vmstat, name);
}

std::optional<std::int64_t> snapshot::kb(const std::string& name) const
{
    return lookup(meminfo, name);
}

std::optional<std::int64_t> delta(const snapshot& earlier, const snapshot& later,
                                  const std::string& name)
{
    auto a = earlier.event(name);
    auto b = later.event(name);
    if (!a || !b) {
        return std::nullopt;
    }
    return *b - *a;
}

bool pool_drain_available()
{
    return access(drain_knob, W_OK) == 0;
}

bool drain_pool()
{
    const posix::unique_fd fd(open(drain_knob, O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) {
        if (errno == ENOENT) {
            return false;
        }
        throw std::system_error(errno, std::generic_category(), drain_knob);
    }
    const ssize_t written = write(fd.get(), "1\n", 2);
    const int saved = errno;
    if (written != 2) {
        throw std::system_error(written < 0 ? saved : EIO, std::generic_category(), drain_knob);
    }
    return true;
}

} // namespace secretmem::counters
