// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    // Death tests must re-execute the binary rather than fork: memory from the
    // fd backend is MADV_DONTFORK, so a forked child would fault on any access
    // to it and a death test would pass for the wrong reason.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
