// SPDX-License-Identifier: MIT
// secretmem::allocator<T>: STL containers whose elements live in the secret
// heap (secretmem/alloc.h).  Freed storage is zeroed by the heap.
//
//   std::vector<std::uint8_t, secretmem::allocator<std::uint8_t>> key(32);
//   secretmem::string password;
//
// A container can still copy its elements elsewhere (std::string's small
// buffer lives inside the string object itself): keep the object itself in
// secret memory too, or use a size that never fits the small buffer.
#pragma once

#include <secretmem/alloc.h>

#include <cstddef>
#include <limits>
#include <new>
#include <string>

namespace secretmem {

template <typename T>
class allocator {
public:
    using value_type = T;

    allocator() noexcept = default;
    template <typename U>
    allocator(const allocator<U>& /*other*/) noexcept // NOLINT: rebinding converts implicitly
    {
    }

    [[nodiscard]] T* allocate(std::size_t n)
    {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw std::bad_array_new_length();
        void* p = alignof(T) > alignof(std::max_align_t)
                      ? secretmem_aligned_alloc(alignof(T), n * sizeof(T))
                      : secretmem_malloc(n * sizeof(T));
        if (p == nullptr)
            throw std::bad_alloc();
        return static_cast<T*>(p);
    }

    void deallocate(T* p, std::size_t /*n*/) noexcept { secretmem_free(p); }

    template <typename U>
    bool operator==(const allocator<U>& /*other*/) const noexcept
    {
        return true;
    }
};

using string = std::basic_string<char, std::char_traits<char>, allocator<char>>;

} // namespace secretmem
