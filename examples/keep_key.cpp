// SPDX-License-Identifier: MIT
// Keep a key in a secret region and use it only inside access windows.
//
// The key is generated straight into the region (no copy on the stack or the
// heap), and the region is inaccessible (PROT_NONE) except while a window is
// open: a stray pointer or a buffer over-read elsewhere in the program faults
// instead of reading the key.
#include <secretmem/secretmem.hpp>

#include <array>
#include <cstdio>
#include <sys/random.h>

namespace {

// A toy use of the key: XOR-fold it with a message into a 64-bit tag.
std::uint64_t tag(std::span<const std::byte> key, std::string_view message)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i < message.size(); ++i) {
        h ^= static_cast<std::uint64_t>(message[i]) ^
             std::to_integer<std::uint64_t>(key[i % key.size()]);
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace

int main()
{
    constexpr std::size_t key_bytes = 32;
    try {
        secretmem::region key = secretmem::region::allocate(key_bytes);
        std::printf("key: %zu bytes in a secret region, backend '%s'%s\n", key.size(),
                    std::string(secretmem::to_string(key.backend())).c_str(),
                    key.degraded() ? " (DEGRADED: still in the kernel's direct map)" : "");
        {
            auto w = key.write();
            if (::getrandom(w.data(), w.size(), 0) != static_cast<ssize_t>(w.size())) {
                std::perror("getrandom");
                return 1;
            }
        } // the window closes: the region is PROT_NONE again
        std::printf("outside a window the region is %s\n",
                    key.current_access() == secretmem::access::none ? "inaccessible (PROT_NONE)"
                                                                    : "ACCESSIBLE");
        {
            auto r = key.read();
            std::printf("inside a read window: tag(\"hello\") = %016llx\n",
                        static_cast<unsigned long long>(tag(r.bytes(), "hello")));
        }
        std::printf("the key is wiped and unmapped when the region goes out of scope\n");
    } catch (const secretmem::error& e) {
        std::fprintf(stderr, "keep-key: %s\n", e.what());
        return 1;
    }
    return 0;
}
