// SPDX-License-Identifier: MIT
#include "victim.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace secretmem::attack {
namespace {

void write_all(int fd, const void* p, std::size_t n)
{
    if (::write(fd, p, n) != static_cast<ssize_t>(n))
        throw std::system_error(errno, std::system_category(), "victim pipe write");
}

void read_all(int fd, void* p, std::size_t n)
{
    if (::read(fd, p, n) != static_cast<ssize_t>(n))
        throw std::system_error(errno ? errno : EPIPE, std::system_category(), "victim pipe read");
}

[[noreturn]] void run_child(const target& t, std::size_t length, int in, int out)
{
    (void)::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY); // Yama, where it is on
    try {
        const mapping m(t, length);
        std::byte* address = m.data();
        write_all(out, &address, sizeof(address));
        char command = 0;
        if (::read(in, &command, 1) == 1 && command == 'c') {
            const char intact = has_pattern(m.data(), m.size()) ? '1' : '0';
            write_all(out, &intact, 1);
        }
        ::_exit(0);
    } catch (...) {
        ::_exit(1);
    }
}

} // namespace

victim::victim(const target& t, std::size_t length) : length_(length)
{
    int down[2];
    int up[2];
    if (::pipe2(down, O_CLOEXEC) != 0 || ::pipe2(up, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::system_category(), "pipe2");
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::system_error(errno, std::system_category(), "fork");
    if (pid_ == 0) {
        ::close(down[1]);
        ::close(up[0]);
        run_child(t, length, down[0], up[1]);
    }
    ::close(down[0]);
    ::close(up[1]);
    to_child_ = down[1];
    from_child_ = up[0];
    read_all(from_child_, &address_, sizeof(address_));
}

bool victim::intact() // NOLINT(readability-make-member-function-const)
{
    const char command = 'c';
    write_all(to_child_, &command, 1);
    char answer = 0;
    read_all(from_child_, &answer, 1);
    return answer == '1';
}

victim::~victim()
{
    ::close(to_child_); // the child leaves its read() and exits
    ::close(from_child_);
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
    }
}

} // namespace secretmem::attack
