// SPDX-License-Identifier: MIT
#include "racer.hpp"

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

namespace secretmem::stress {
namespace {

thread_local sigjmp_buf* recovery = nullptr;

void on_fault(int sig)
{
    if (recovery != nullptr)
        siglongjmp(*recovery, 1); // NOLINT(cert-err52-cpp): the only way back from a fault
    // Not a racer: die of the signal, as without this handler.
    std::signal(sig, SIG_DFL);
}

} // namespace

void install_fault_recovery()
{
    struct sigaction action = {};
    action.sa_handler = on_fault;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGSEGV, &action, nullptr) != 0 || ::sigaction(SIGBUS, &action, nullptr) != 0)
        std::abort();
}

racer::racer(tallies& counts)
    : counts_(counts), sink_(::memfd_create("secret-stress-sink", MFD_CLOEXEC))
{
    if (sink_ < 0)
        std::abort();
}

racer::~racer()
{
    ::close(sink_);
}

void racer::fault(unsigned char* at, std::size_t length, std::uint64_t random)
{
    const std::size_t offset = random % length;
    volatile unsigned char* target = at + offset;
    sigjmp_buf here;
    // NOLINTNEXTLINE(cert-err52-cpp): a fault jumps back here, nothing to unwind
    if (sigsetjmp(here, 1) != 0) {
        recovery = nullptr;
        counts_.count(op::race, false);
        return;
    }
    recovery = &here;
    switch (random >> 60 & 3) {
    case 0:
        (void)*target;
        break;
    case 1:
        __atomic_fetch_or(target, 0, __ATOMIC_RELAXED);
        break;
    default: {
        const std::size_t span = std::min(length - offset, std::size_t{64} << 10);
        (void)::pwrite(sink_, at + offset, span, 0);
        break;
    }
    }
    recovery = nullptr;
    counts_.count(op::race, true);
}

} // namespace secretmem::stress
