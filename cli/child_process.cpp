// SPDX-License-Identifier: MIT
#include "child_process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>

namespace secretmem::cli {
namespace {

// Passed on to the program when a process sends them to us.
constexpr std::array forwarded_signals{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

[[noreturn]] void fail(const char* what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

class spawn_actions {
public:
    spawn_actions()
    {
        if (const int error = ::posix_spawn_file_actions_init(&actions_); error != 0) {
            throw std::system_error(error, std::generic_category(),
                                    "posix_spawn_file_actions_init");
        }
    }
    spawn_actions(const spawn_actions&) = delete;
    spawn_actions& operator=(const spawn_actions&) = delete;
    spawn_actions(spawn_actions&&) = delete;
    spawn_actions& operator=(spawn_actions&&) = delete;
    ~spawn_actions() { (void)::posix_spawn_file_actions_destroy(&actions_); }

    // from == to clears close-on-exec on it, in the child alone (Austin
    // Group issue 411, now POSIX; glibc does it).
    void dup2(int from, int to)
    {
        if (const int error = ::posix_spawn_file_actions_adddup2(&actions_, from, to); error != 0) {
            throw std::system_error(error, std::generic_category(), "posix_spawn_file_actions");
        }
    }
    [[nodiscard]] const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

class spawn_attributes {
public:
    spawn_attributes()
    {
        if (const int error = ::posix_spawnattr_init(&attributes_); error != 0) {
            throw std::system_error(error, std::generic_category(), "posix_spawnattr_init");
        }
    }
    spawn_attributes(const spawn_attributes&) = delete;
    spawn_attributes& operator=(const spawn_attributes&) = delete;
    spawn_attributes(spawn_attributes&&) = delete;
    spawn_attributes& operator=(spawn_attributes&&) = delete;
    ~spawn_attributes() { (void)::posix_spawnattr_destroy(&attributes_); }

    void signal_mask(const sigset_t& mask)
    {
        if (::posix_spawnattr_setsigmask(&attributes_, &mask) != 0 ||
            ::posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETSIGMASK) != 0) {
            throw std::system_error(EINVAL, std::generic_category(), "posix_spawnattr");
        }
    }
    [[nodiscard]] const posix_spawnattr_t* get() const noexcept { return &attributes_; }

private:
    posix_spawnattr_t attributes_{};
};

// C's view of `strings`, which must outlive it: pointers, then NULL.
std::vector<char*> c_strings(const std::vector<std::string>& strings)
{
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (const std::string& s : strings) {
        // exec's prototype predates const; it does not write through these.
        pointers.push_back(const_cast<char*>(s.c_str()));
    }
    pointers.push_back(nullptr);
    return pointers;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
            int shared_fd, const sigset_t& child_mask)
{
    spawn_actions actions;
    actions.dup2(shared_fd, shared_fd);
    spawn_attributes attributes;
    attributes.signal_mask(child_mask);
    const std::vector<char*> args = c_strings(argv);
    const std::vector<char*> env = c_strings(environment);
    pid_t pid = 0;
    const int error = ::posix_spawnp(&pid, args.front(), actions.get(), attributes.get(),
                                     args.data(), env.data());
    if (error != 0) {
        throw spawn_error(error, argv.front());
    }
    return pid;
}

sigset_t signal_set(bool with_sigpipe)
{
    sigset_t set;
    sigemptyset(&set);
    for (const int signal : forwarded_signals) {
        sigaddset(&set, signal);
    }
    sigaddset(&set, SIGCHLD);
    if (with_sigpipe) {
        // A closed standard error of ours must give EPIPE when we report,
        // not end us before we exit with the program's status.
        sigaddset(&set, SIGPIPE);
    }
    return set;
}

// Our signal mask before: the program's.
sigset_t block_signals()
{
    // Ignored SIGCHLD would reap the program before we could see its status.
    struct sigaction current {};
    if (::sigaction(SIGCHLD, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
        (void)::signal(SIGCHLD, SIG_DFL);
    }
    const sigset_t blocked = signal_set(true);
    sigset_t before;
    if (::sigprocmask(SIG_BLOCK, &blocked, &before) != 0) {
        fail("sigprocmask");
    }
    return before;
}

} // namespace

child_exit run_supervised(const std::vector<std::string>& argv,
                          const std::vector<std::string>& environment, int shared_fd)
{
    const sigset_t child_mask = block_signals();
    const sigset_t watched = signal_set(false);
    const pid_t child = spawn(argv, environment, shared_fd, child_mask);
    for (;;) {
        siginfo_t info{};
        if (::sigwaitinfo(&watched, &info) < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("sigwaitinfo");
        }
        if (info.si_signo == SIGCHLD) {
            // Signals of one kind merge: a SIGCHLD may stand for several
            // changes, or for one we already saw (stopped, continued).
            int status = 0;
            if (::waitpid(child, &status, WNOHANG) == child) {
                return {child, status};
            }
        } else if (info.si_code <= 0) {
            // Sent by a process (SI_USER, SI_QUEUE, SI_TKILL).  What the
            // kernel sends, a terminal's ^C among it, went to the program's
            // process group, the program included.
            (void)::kill(child, info.si_signo);
        }
    }
}

} // namespace secretmem::cli
