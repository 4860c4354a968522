// SPDX-License-Identifier: MIT
// A program outside the tree, built against the installed C++ SDK
// (secretmem-sdk) with nothing but pkg-config's flags.  A region must come
// from a backend that keeps it out of the direct map (the default policy
// fails closed), be inaccessible outside access windows, and read back what
// a window wrote; with no such backend, allocation must throw.
#include <secretmem/secretmem.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace {

constexpr std::size_t secret_size = 100;

int fail(const std::string& what)
{
    std::fprintf(stderr, "sdk-consumer: %s\n", what.c_str());
    return 1;
}

bool any_backend_out_of_the_direct_map()
{
    for (auto kind : secretmem::all_backends) {
        const secretmem::backend& b = secretmem::backend_for(kind);
        if (!b.degraded() && b.available().usable)
            return true;
    }
    return false;
}

std::byte pattern(std::size_t i)
{
    return static_cast<std::byte>(i * 13 + 5);
}

int check_region(secretmem::region& key)
{
    const std::string backend(secretmem::to_string(key.backend()));
    if (key.size() < secret_size)
        return fail("the region is smaller than asked for");
    if (key.degraded() || secretmem::backend_for(key.backend()).degraded())
        return fail("the default policy handed out degraded memory (backend " + backend + ")");
    if (key.current_access() != secretmem::access::none)
        return fail("a new region is accessible outside any window");
    {
        auto w = key.write();
        if (key.current_access() != secretmem::access::read_write)
            return fail("a write window left the region unwritable");
        for (std::size_t i = 0; i < w.size(); ++i)
            w.data()[i] = pattern(i);
    }
    if (key.current_access() != secretmem::access::none)
        return fail("the region stayed accessible after its write window closed");
    {
        auto outer = key.read();
        auto inner = key.read();
        if (key.current_access() != secretmem::access::read)
            return fail("nested read windows do not give read access");
        for (std::size_t i = 0; i < inner.size(); ++i) {
            if (inner.data()[i] != pattern(i))
                return fail("the region did not read back what the write window wrote");
        }
    }
    if (key.current_access() != secretmem::access::none)
        return fail("the region stayed accessible after its read windows closed");

    secretmem::secret<std::uint64_t> word;
    *word.write() = 0x5ec2e7;
    if (*word.read() != 0x5ec2e7)
        return fail("a secret<std::uint64_t> did not read back");

    std::printf("sdk-consumer: %zu bytes in a region on backend %s, windows open and close\n",
                key.size(), backend.c_str());
    return 0;
}

} // namespace

int main()
{
    try {
        secretmem::region key;
        try {
            key = secretmem::region::allocate(secret_size);
        } catch (const secretmem::error& e) {
            if (any_backend_out_of_the_direct_map()) {
                return fail(std::string("region::allocate failed with a backend usable: ") +
                            e.what());
            }
            std::printf("sdk-consumer: no backend keeps memory out of the direct map here; "
                        "the SDK refused: %s\n",
                        e.what());
            return 0;
        }
        return check_region(key);
    } catch (const secretmem::error& e) {
        return fail(e.what());
    }
}
