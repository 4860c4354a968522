// SPDX-License-Identifier: MIT
// Fail-closed: by default only memory out of the direct map is handed out;
// the degraded backend needs the caller's consent; when nothing qualifies the
// error says which backend failed, why, and what to do.
#include "../support/privileges.hpp"
#include "../support/proc.hpp"
#include "backend_param.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <sys/mman.h>

namespace secretmem::test {
namespace {

// Sets an environment variable for one test and restores it after.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;
    scoped_env(scoped_env&&) = delete;
    scoped_env& operator=(scoped_env&&) = delete;
    ~scoped_env()
    {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

constexpr const char* allow_env = "SECRETMEM_ALLOW_DEGRADED";

// The error a policy produces, or a failure if it produces a region.
error refusal(std::size_t size, const policy& p)
{
    try {
        (void)region::allocate(size, p);
    } catch (const error& e) {
        return e;
    }
    ADD_FAILURE() << "the policy handed out memory";
    return {std::error_code{}, ""};
}

bool kernel_backend_usable()
{
    return backend_for(backend_kind::native).available().usable ||
           backend_for(backend_kind::fd).available().usable;
}

TEST(Policy, DefaultNeverDegrades)
{
    const scoped_env env(allow_env, nullptr);
    if (!kernel_backend_usable())
        GTEST_SKIP() << "no kernel backend on this machine";
    const region r = region::allocate(16);
    EXPECT_FALSE(r.degraded());
    EXPECT_NE(r.backend(), backend_kind::locked);
}

TEST(Policy, PrefersNativeWhenTheKernelHasIt)
{
    if (!backend_for(backend_kind::native).available().usable)
        GTEST_SKIP() << backend_for(backend_kind::native).available().reason;
    EXPECT_EQ(region::allocate(16).backend(), backend_kind::native);
}

TEST(Policy, RefusesLockedWithoutConsent)
{
    const scoped_env env(allow_env, nullptr);
    const error e = refusal(16, {degraded_protection::from_environment, backend_kind::locked});
    EXPECT_EQ(e.code(), errc::degraded_not_allowed);
    EXPECT_NE(std::string(e.what()).find("SECRETMEM_ALLOW_DEGRADED=1"), std::string::npos)
        << e.what();
}

TEST(Policy, RefuseIgnoresTheEnvironment)
{
    const scoped_env env(allow_env, "1");
    const error e = refusal(16, {degraded_protection::refuse, backend_kind::locked});
    EXPECT_EQ(e.code(), errc::degraded_not_allowed);
}

TEST(Policy, EnvironmentCanAllowLocked)
{
    const scoped_env env(allow_env, "1");
    const region r =
        region::allocate(16, {degraded_protection::from_environment, backend_kind::locked});
    EXPECT_TRUE(r.degraded());
    EXPECT_EQ(r.backend(), backend_kind::locked);
}

TEST(Policy, UnknownEnvironmentValueIsAnError)
{
    const scoped_env env(allow_env, "yes");
    const error e = refusal(16, {});
    EXPECT_EQ(e.code(), errc::bad_environment);
    EXPECT_NE(std::string(e.what()).find("'yes'"), std::string::npos) << e.what();
}

TEST(Policy, NamesTheMissingBackend)
{
    if (backend_for(backend_kind::native).available().usable)
        GTEST_SKIP() << "this kernel has MAP_SECRET";
    const error e = refusal(16, {degraded_protection::refuse, backend_kind::native});
    EXPECT_EQ(e.code(), errc::backend_unavailable);
    EXPECT_NE(std::string(e.what()).find("MAP_SECRET"), std::string::npos) << e.what();
}

// With both kernel interfaces hidden by seccomp, as on a kernel that has
// neither, the default policy refuses and says why for each backend.
TEST(Policy, FailsClosedWithoutAKernelBackend)
{
    EXPECT_EXIT(
        {
            ::unsetenv(allow_env);
            hide_secret_syscalls();
            const error e = refusal(16, {});
            std::fprintf(stderr, "%s\n", e.what());
            std::exit(e.code() == errc::degraded_not_allowed ? 0 : 1);
        },
        testing::ExitedWithCode(0),
        "native \\(mmap\\(MAP_SECRET\\)\\): this kernel has no.*\n"
        "  fd \\(memfd_secret\\(2\\)\\): this kernel has no memfd_secret.*\n"
        "  locked \\(mlock\\(2\\)\\): refused");
}

TEST(Policy, FallsBackToLockedOnlyWhenAllowed)
{
    EXPECT_EXIT(
        {
            hide_secret_syscalls();
            const region r = region::allocate(16, {degraded_protection::allow, std::nullopt});
            std::exit(r.backend() == backend_kind::locked && r.degraded() ? 0 : 1);
        },
        testing::ExitedWithCode(0), "");
}

// Over RLIMIT_MEMLOCK the error names the limit, what is locked, and the fix.
// The best kernel backend is asked for alone: memfd_secret does not charge
// the limit on every kernel (6.12 does not), and the policy rightly falls back
// to it when MAP_SECRET is over the limit.
TEST(Policy, MemlockErrorSaysWhatToDo)
{
    const bool native = backend_for(backend_kind::native).available().usable;
    if (!native && !backend_for(backend_kind::fd).available().usable)
        GTEST_SKIP() << "no kernel backend on this machine";
    const policy best_only{degraded_protection::refuse,
                           native ? backend_kind::native : backend_kind::fd};
    EXPECT_EXIT(
        {
            limit_memlock(64UL * 1024);
            const error e = refusal(std::size_t{1024} * 1024, best_only);
            std::fprintf(stderr, "%s\n", e.what());
            std::exit(e.code() == std::errc::resource_unavailable_try_again ? 0 : 1);
        },
        testing::ExitedWithCode(0),
        "failed with EAGAIN.*RLIMIT_MEMLOCK is 64 KiB \\(hard limit 64 KiB\\).*this region needs "
        "1 MiB.*ulimit -l [0-9]+");
}

// A backend that fails leaves its range reserved or mapped, never a hole:
// a MAP_FIXED mmap() of memfd_secret over RLIMIT_MEMLOCK unmaps the range
// before it fails, and the next mmap() anywhere in the process could be
// given it, only for the reservation's owner to unmap it from under them.
// (Where memfd_secret does not charge the limit, the mapping succeeds, and
// the range is whole too.)
TEST(Policy, FailedMappingLeavesNoHole)
{
    if (!backend_for(backend_kind::fd).available().usable)
        GTEST_SKIP() << "no memfd_secret on this machine";
    EXPECT_EXIT(
        {
            const std::size_t length = std::size_t{1024} * 1024;
            void* reservation = ::mmap(nullptr, length, PROT_NONE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            limit_memlock(64UL * 1024);
            const std::error_code ec = backend_for(backend_kind::fd).map_at(reservation, length);
            const bool whole =
                mapping_perms(reservation).has_value() &&
                mapping_perms(static_cast<std::byte*>(reservation) + length - 1).has_value();
            std::fprintf(stderr, "map_at: %s\n", ec ? ec.message().c_str() : "mapped");
            std::exit(reservation != MAP_FAILED && whole ? 0 : 1);
        },
        testing::ExitedWithCode(0), "");
}

} // namespace
} // namespace secretmem::test
