// SPDX-License-Identifier: MIT
// secret<T>: a typed value in a secret region, reached through typed windows.
#include "../support/proc.hpp"
#include "backend_param.hpp"

#include <array>
#include <cstdint>

namespace secretmem::test {
namespace {

struct key_pair {
    std::array<std::uint8_t, 32> secret_key;
    std::uint64_t counter;
};

class Secret : public EachBackend {};
SECRETMEM_FOR_EACH_BACKEND(Secret);

TEST_P(Secret, StartsValueInitializedAndKeepsWrites)
{
    secret<key_pair> k(only_this());
    EXPECT_EQ(k.storage().backend(), GetParam());
    EXPECT_EQ(k.read()->counter, 0U);
    {
        // Hold the window: a temporary one in the range-for initializer
        // would close before the loop runs.
        const auto r = k.read();
        for (const std::uint8_t b : r->secret_key)
            EXPECT_EQ(b, 0);
    }
    {
        auto w = k.write();
        w->secret_key.fill(0xab);
        w->counter = 7;
    }
    const auto r = k.read();
    EXPECT_EQ(r->counter, 7U);
    EXPECT_EQ(r->secret_key[31], 0xab);
}

TEST_P(Secret, IsInaccessibleBetweenWindows)
{
    secret<std::uint64_t> n(only_this());
    const std::uint64_t* p = nullptr;
    {
        const auto r = n.read();
        p = &*r;
        EXPECT_EQ(mapping_perms(p).value_or("").substr(0, 3), "r--");
    }
    EXPECT_EQ(mapping_perms(p).value_or("").substr(0, 3), "---");
    EXPECT_EQ(n.storage().current_access(), access::none);
}

} // namespace
} // namespace secretmem::test
