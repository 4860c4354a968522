// SPDX-License-Identifier: MIT
// secret<T>: one value of a trivially copyable type in its own secret region,
// reached only through typed access windows.
//
//   secretmem::secret<std::array<std::uint8_t, 32>> key;
//   getrandom(key.write()->data(), 32, 0);
//   use(*key.read());
//
// A window lives until the end of the full expression that made it: keep it
// in a variable for anything longer, e.g. `for (auto b : key.read()->bytes)`
// would iterate after the window closed, and fault.
#pragma once

#include <secretmem/region.hpp>

#include <new>
#include <type_traits>

namespace secretmem {

// A window typed as T: the region stays accessible while it lives.
template <class T, class Window>
class typed_window {
public:
    explicit typed_window(Window w) noexcept
        : window_(std::move(w)), value_(std::launder(reinterpret_cast<T*>(window_.data())))
    {
    }
    [[nodiscard]] T& operator*() const noexcept { return *value_; }
    [[nodiscard]] T* operator->() const noexcept { return value_; }

private:
    Window window_;
    T* value_;
};

template <class T>
requires std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>
class secret {
public:
    // A value-initialized T in a region from the policy's best backend.
    explicit secret(const policy& p = {}) : region_(region::allocate(sizeof(T), p))
    {
        static_assert(alignof(T) <= alignof(std::max_align_t), "regions are page-aligned");
        const write_window w = region_.write();
        ::new (static_cast<void*>(w.data())) T{};
    }

    [[nodiscard]] typed_window<const T, read_window> read() const
    {
        return typed_window<const T, read_window>(region_.read());
    }
    [[nodiscard]] typed_window<T, write_window> write()
    {
        return typed_window<T, write_window>(region_.write());
    }

    // The region underneath: its backend, whether it is degraded.
    [[nodiscard]] const region& storage() const noexcept { return region_; }

private:
    region region_;
};

} // namespace secretmem
