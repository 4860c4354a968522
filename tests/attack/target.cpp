// SPDX-License-Identifier: MIT
#include "target.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <sys/random.h>
#include <system_error>

namespace secretmem::attack {

std::string target::unavailable() const
{
    if (!backend)
        return {};
    const availability& a = backend_for(*backend).available();
    return a.usable ? std::string() : a.reason;
}

mapping::mapping(const target& t, std::size_t length) : length_(length)
{
    void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw std::system_error(errno, std::system_category(), "mmap");
    data_ = static_cast<std::byte*>(p);
    if (t.backend) {
        if (const std::error_code ec = backend_for(*t.backend).map_at(p, length); ec) {
            ::munmap(p, length);
            throw std::system_error(ec, std::string(backend_for(*t.backend).mechanism()));
        }
    }
    fill_pattern(data_, length_);
}

mapping::~mapping()
{
    ::munmap(data_, length_);
}

const std::string& pattern_token()
{
    static const std::string token = []() -> std::string {
        // An exec'ed helper (the core dump) must use its parent's token.
        if (const char* inherited = std::getenv(token_variable))
            return inherited;
        unsigned char raw[12] = {};
        if (::getrandom(raw, sizeof(raw), 0) != static_cast<ssize_t>(sizeof(raw)))
            throw std::system_error(errno, std::system_category(), "getrandom");
        std::string hex = "SECRET-";
        for (const unsigned char c : raw) {
            constexpr const char* digits = "0123456789abcdef";
            hex += digits[c >> 4];
            hex += digits[c & 0xf];
        }
        return hex + "-";
    }();
    return token;
}

void fill_pattern(std::byte* p, std::size_t length)
{
    const std::string& token = pattern_token();
    for (std::size_t i = 0; i < length; ++i)
        p[i] = static_cast<std::byte>(token[i % token.size()]);
}

bool has_pattern(const std::byte* p, std::size_t length)
{
    // Twice in a row: the token itself also sits, once, in this process's
    // heap, and so in every core file and forked child.
    static const std::string token = pattern_token() + pattern_token();
    const auto* text = reinterpret_cast<const char*>(p);
    return std::search(text, text + length, token.begin(), token.end()) != text + length;
}

bool all_zero(const std::byte* p, std::size_t length)
{
    return std::all_of(p, p + length, [](std::byte b) { return b == std::byte{0}; });
}

} // namespace secretmem::attack
