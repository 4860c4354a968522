// SPDX-License-Identifier: MIT
// Runs a test once per backend; a backend this kernel lacks is skipped with
// the probe's reason, so the native tests run for real under the patched
// kernel.
#pragma once

#include <secretmem/secretmem.hpp>

#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace secretmem::test {

class EachBackend : public testing::TestWithParam<backend_kind> {
protected:
    void SetUp() override
    {
        const availability& a = backend_for(GetParam()).available();
        // Under the patched kernel a skipped native case would hide a broken
        // series: the VM runs set SECRETMEM_REQUIRE_NATIVE=1.
        if (!a.usable && GetParam() == backend_kind::native && native_required())
            FAIL() << "SECRETMEM_REQUIRE_NATIVE=1 but " << a.reason;
        if (!a.usable)
            GTEST_SKIP() << to_string(GetParam()) << ": " << a.reason;
    }

    static bool native_required()
    {
        const char* required = std::getenv("SECRETMEM_REQUIRE_NATIVE");
        return required != nullptr && std::string_view(required) == "1";
    }

    [[nodiscard]] policy only_this() const { return {degraded_protection::allow, GetParam()}; }

    [[nodiscard]] region allocate(std::size_t size) const
    {
        return region::allocate(size, only_this());
    }
};

inline std::string backend_name(const testing::TestParamInfo<backend_kind>& info)
{
    return std::string(to_string(info.param));
}

} // namespace secretmem::test

#define SECRETMEM_FOR_EACH_BACKEND(fixture)                                                        \
    INSTANTIATE_TEST_SUITE_P(Backends, fixture, ::testing::ValuesIn(secretmem::all_backends),      \
                             secretmem::test::backend_name)
