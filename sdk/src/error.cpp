// SPDX-License-Identifier: MIT
#include <secretmem/error.hpp>

namespace secretmem {
namespace {

class secretmem_category final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "secretmem"; }

    [[nodiscard]] std::string message(int value) const override
    {
        switch (static_cast<errc>(value)) {
        case errc::no_backend:
            return "no backend that removes memory from the direct map is usable";
        case errc::degraded_not_allowed:
            return "only degraded protection (mlock, still in the direct map) is available "
                   "and the policy refuses it";
        case errc::backend_unavailable:
            return "the backend the policy requires is not available";
        case errc::bad_environment:
            return "an environment variable has a value secretmem does not understand";
        case errc::empty_region:
            return "the region was moved from";
        }
        return "unknown secretmem error";
    }
};

} // namespace

const std::error_category& category() noexcept
{
    static const secretmem_category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), category()};
}

} // namespace secretmem
