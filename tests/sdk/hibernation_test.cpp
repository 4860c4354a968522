// SPDX-License-Identifier: MIT
// A hibernation image holds a copy of every page in use and can be read
// offline.  While a secret page exists the kernel backends take "disk" out
// of /sys/power/state (MAP_SECRET: patch 0004; memfd_secret: the stock
// kernel, while its file lives), and give it back once the last one is
// freed.  The locked backend cannot: the test shows that too, as the
// threat model says.
#include "backend_param.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace secretmem::test {
namespace {

// Whether the kernel would hibernate now (kernel/power/main.c: state_show
// lists "disk" only when hibernation_available()).
bool hibernation_offered()
{
    std::ifstream state("/sys/power/state");
    const std::string text{std::istreambuf_iterator<char>(state), {}};
    return text.find("disk") != std::string::npos;
}

class Hibernation : public EachBackend {};
SECRETMEM_FOR_EACH_BACKEND(Hibernation);

TEST_P(Hibernation, RefusedWhileASecretPageExists)
{
    // "disk" answers for the whole machine: any other process's secret
    // memory takes it away too, the parallel tests' among them.  Only the
    // VM runs (SECRETMEM_REQUIRE_NATIVE=1) have the kernel to themselves.
    if (!native_required()) {
        GTEST_SKIP() << "other processes' secret memory would change the answer here: this "
                        "check runs in the VM (vm-sdk), which has the kernel to itself";
    }
    if (!hibernation_offered()) {
        // The VM's kernel has CONFIG_HIBERNATION=y and no secret memory in
        // use yet: a skip would hide a refusal that never ends.
        FAIL() << "'disk' is missing from /sys/power/state before any secret page exists";
    }
    {
        region secret = allocate(4096);
        {
            const auto w = secret.write();
            std::memset(w.data(), 0x5a, w.size());
        }
        if (GetParam() == backend_kind::locked) {
            EXPECT_TRUE(hibernation_offered())
                << "the locked backend is not expected to block hibernation: the threat model "
                   "says its pages go into the image";
        } else {
            EXPECT_FALSE(hibernation_offered())
                << "hibernation is offered while a secret page exists: the image would hold it";
        }
    }
    EXPECT_TRUE(hibernation_offered()) << "hibernation stays refused after the secret was freed";
}

} // namespace
} // namespace secretmem::test
