// SPDX-License-Identifier: MIT
// Secrets are wiped before the memory is unmapped, in a way the optimizer
// cannot drop: the release observer sees the region's memory between the
// wipe and munmap().
#include "backend_param.hpp"

#include <secretmem/testing.hpp>

#include <algorithm>
#include <cstring>

namespace secretmem::test {
namespace {

std::size_t observed_bytes = 0;
std::size_t observed_nonzero = 0;

void observe(std::span<const std::byte> wiped)
{
    observed_bytes = wiped.size();
    observed_nonzero = static_cast<std::size_t>(
        std::count_if(wiped.begin(), wiped.end(), [](std::byte b) { return b != std::byte{0}; }));
}

class Wipe : public EachBackend {
protected:
    void TearDown() override { secretmem::testing::set_release_observer(nullptr); }
};
SECRETMEM_FOR_EACH_BACKEND(Wipe);

TEST_P(Wipe, OnRelease)
{
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    observed_bytes = 0;
    observed_nonzero = 1;
    {
        region r = allocate(3 * page - 7);
        auto w = r.write();
        std::memset(w.data(), 0xff, w.size());
        secretmem::testing::set_release_observer(observe);
    }
    EXPECT_EQ(observed_bytes, 3 * page) << "the whole capacity, not just the size, is wiped";
    EXPECT_EQ(observed_nonzero, 0U);
}

TEST_P(Wipe, OnMoveAssignment)
{
    observed_bytes = 0;
    observed_nonzero = 1;
    region a = allocate(64);
    {
        auto w = a.write();
        std::memset(w.data(), 0xee, w.size());
    }
    secretmem::testing::set_release_observer(observe);
    a = allocate(64); // the old secret goes away here
    EXPECT_GT(observed_bytes, 0U);
    EXPECT_EQ(observed_nonzero, 0U);
}

} // namespace
} // namespace secretmem::test
