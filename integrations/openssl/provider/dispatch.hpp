// SPDX-License-Identifier: MIT
// The C boundary of OpenSSL's provider interface, on the C++ side: dispatch
// table entries from typed functions, and objects that OpenSSL holds as
// void* between a new and a free call.
#pragma once

#include <memory>
#include <new>

namespace secretmem::provider {

// An OSSL_DISPATCH function pointer: OpenSSL casts it back to `F`.
template <typename F>
void (*dispatch_fn(F* f))()
{
    return reinterpret_cast<void (*)()>(f);
}

// A new T handed to OpenSSL, or null when memory is short (no exception
// may cross into C).
template <typename T, typename... Args>
void* hand_over(Args&&... args) noexcept
{
    return std::unique_ptr<T>(new (std::nothrow) T{std::forward<Args>(args)...}).release();
}

// Take back and destroy what hand_over() gave OpenSSL.
template <typename T>
void take_back(void* object) noexcept
{
    const std::unique_ptr<T> owned(static_cast<T*>(object));
}

} // namespace secretmem::provider
