// SPDX-License-Identifier: MIT
// What the kernel lets this process do with a byte, asked without risking
// a fault: a pipe's write(2) copies from the byte (EFAULT if it cannot be
// read) and its read(2) copies to it (EFAULT if it cannot be written).
// Ordinary uaccess works on secret memory, as it does on any other.
#pragma once

#include <cstddef>

namespace secretmem::fuzz {

class access_probe {
public:
    access_probe();
    access_probe(const access_probe&) = delete;
    access_probe& operator=(const access_probe&) = delete;
    access_probe(access_probe&&) = delete;
    access_probe& operator=(access_probe&&) = delete;
    ~access_probe();

    [[nodiscard]] bool readable(const std::byte* p) const;
    // `current` is what the byte holds: written back over it when it can be.
    [[nodiscard]] bool writable(std::byte* p, std::byte current) const;

private:
    void drain() const;

    int read_end_ = -1;
    int write_end_ = -1;
};

} // namespace secretmem::fuzz
