// SPDX-License-Identifier: MIT
// A secret region: page-granular memory from a secret backend, with a
// PROT_NONE guard page on each side, inaccessible except through access
// windows, and wiped before it is unmapped.
#pragma once

#include <secretmem/backend.hpp>
#include <secretmem/policy.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

namespace secretmem {

enum class access : std::uint8_t { none, read, read_write };

namespace detail {
struct region_state;
}

template <access Level>
class window;

// Scoped access: while a window is open the region allows at least its level.
using read_window = window<access::read>;
using write_window = window<access::read_write>;

class region {
public:
    // Throws secretmem::error when no backend the policy accepts can supply
    // `size` bytes (rounded up to whole pages); `size` 0 is invalid.
    [[nodiscard]] static region allocate(std::size_t size, const policy& p = {});

    // Empty, like a moved-from region: holds nothing until assigned.
    region() noexcept;
    region(region&& other) noexcept;
    region& operator=(region&& other) noexcept;
    region(const region&) = delete;
    region& operator=(const region&) = delete;
    // Wipes and unmaps.  Aborts if an access window is still open: the
    // window would point into unmapped memory.
    ~region();

    [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] backend_kind backend() const;
    // True when the memory is still in the kernel's direct map.
    [[nodiscard]] bool degraded() const;

    // The access the region has when no window is open (none by default).
    void protect(access level);
    // The access the region has now: the larger of protect() and open windows.
    [[nodiscard]] access current_access() const;

    // Open a window; it closes when destroyed, and the last one to close
    // puts the region back to its protect() level.  Thread-safe.
    [[nodiscard]] read_window read() const;
    [[nodiscard]] write_window write();

private:
    explicit region(std::unique_ptr<detail::region_state> state) noexcept;
    void release() noexcept;

    std::unique_ptr<detail::region_state> state_;
};

namespace detail {
// Raise the region's access for one more window of `level`; throws on failure.
[[nodiscard]] std::byte* open_window(region_state& state, access level);
// Close one window of `level`; aborts if access cannot be taken back.
void close_window(region_state& state, access level) noexcept;
} // namespace detail

template <access Level>
class window {
    static_assert(Level != access::none);

public:
    using byte_type = std::conditional_t<Level == access::read, const std::byte, std::byte>;

    window(window&& other) noexcept
        : state_(std::exchange(other.state_, nullptr)), bytes_(other.bytes_)
    {
    }
    window& operator=(window&& other) noexcept
    {
        if (this != &other) {
            close();
            state_ = std::exchange(other.state_, nullptr);
            bytes_ = other.bytes_;
        }
        return *this;
    }
    window(const window&) = delete;
    window& operator=(const window&) = delete;
    ~window() { close(); }

    [[nodiscard]] std::span<byte_type> bytes() const noexcept { return bytes_; }
    [[nodiscard]] byte_type* data() const noexcept { return bytes_.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }

private:
    friend class region;
    window(detail::region_state& state, std::size_t size)
        : state_(&state), bytes_(detail::open_window(state, Level), size)
    {
    }

    void close() noexcept
    {
        if (state_ != nullptr)
            detail::close_window(*std::exchange(state_, nullptr), Level);
    }

    detail::region_state* state_;
    std::span<byte_type> bytes_;
};

// mprotect-style: protect(r, access::none | access::read | access::read_write).
inline void protect(region& r, access level)
{
    r.protect(level);
}

} // namespace secretmem
