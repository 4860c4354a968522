// SPDX-License-Identifier: MIT
// secretmem::allocator<T> puts STL containers' storage in the secret heap.
#include <secretmem/allocator.hpp>

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace secretmem::test {
namespace {

TEST(Allocator, ContainersLiveInTheSecretHeap)
{
    void* probe = secretmem_malloc(1);
    if (probe == nullptr)
        GTEST_SKIP() << "no secret heap here: " << secretmem_heap_error();
    secretmem_free(probe);

    std::vector<int, allocator<int>> numbers(1000, 7);
    EXPECT_EQ(secretmem_owns(numbers.data()), 1);
    numbers.resize(100000, 9);
    EXPECT_EQ(secretmem_owns(numbers.data()), 1);
    EXPECT_EQ(numbers[999], 7);
    EXPECT_EQ(numbers[99999], 9);

    // Longer than the small-string buffer, so the characters are on the heap.
    secretmem::string password(100, 'x');
    EXPECT_EQ(secretmem_owns(password.data()), 1);

    std::map<int, int, std::less<>, allocator<std::pair<const int, int>>> m;
    for (int i = 0; i < 100; ++i)
        m[i] = i * i;
    EXPECT_EQ(m.at(9), 81);
    EXPECT_EQ(secretmem_owns(&m.at(9)), 1);

    struct alignas(128) wide {
        char c;
    };
    std::vector<wide, allocator<wide>> aligned(3);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned.data()) % 128, 0U);
}

TEST(Allocator, ImpossibleSizeThrows)
{
    allocator<std::uint64_t> a;
    EXPECT_THROW((void)a.allocate(SIZE_MAX / 4), std::bad_array_new_length);
}

} // namespace
} // namespace secretmem::test
