// SPDX-License-Identifier: MIT
#include "harness.hpp"

#include <secretmem/probe.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace secretmem::preload_test {
namespace {

[[noreturn]] void throw_errno(const std::string& what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

std::filesystem::path test_program_dir()
{
    return std::filesystem::read_symlink("/proc/self/exe").parent_path();
}

bool is_preload_setting(const std::string& entry)
{
    const std::string name = entry.substr(0, entry.find('='));
    return name == "LD_PRELOAD" || name.starts_with("SECRETMEM_PRELOAD") ||
           name == "SECRETMEM_ALLOW_DEGRADED";
}

// Between fork and exec only async-signal-safe calls: report failure by exit
// status 127, as a shell does for a command it cannot run.
[[noreturn]] void exec_child(const spawn_options& opts, const std::vector<char*>& argv,
                             const std::vector<char*>& envp)
{
    const int null_fd = ::open("/dev/null", O_RDWR);
    const int in = opts.stdin_fd >= 0 ? opts.stdin_fd : null_fd;
    const int out = opts.stdout_fd >= 0 ? opts.stdout_fd : null_fd;
    int err = null_fd;
    if (!opts.stderr_path.empty())
        err = ::open(opts.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0)
        ::_exit(127);
    if (opts.memlock) {
        const rlimit limit{*opts.memlock, *opts.memlock};
        // Raising the hard limit needs CAP_SYS_RESOURCE; without it the
        // program meets the limit, which its report then shows.
        (void)::setrlimit(RLIMIT_MEMLOCK, &limit);
    }
    // A daemon's own session, as a service manager gives it: servers that
    // signal their process group (Apache's restart) must not reach the test.
    if (opts.own_session && ::setsid() < 0)
        ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
}

} // namespace

std::filesystem::path preload_library()
{
    if (const char* path = std::getenv("SECRETMEM_TEST_PRELOAD_LIB"))
        return path;
    // build/meson/tests/preload/<test> -> build/meson/libc-shim/preload/
    return test_program_dir().parent_path().parent_path() / "libc-shim" / "preload" /
           "libsecretmem-preload.so";
}

std::filesystem::path beside_test(const std::string& name)
{
    return test_program_dir() / name;
}

std::string find_program(const std::vector<std::string>& candidates)
{
    const char* path = std::getenv("PATH");
    for (const std::string& c : candidates) {
        if (c.find('/') != std::string::npos) {
            if (::access(c.c_str(), X_OK) == 0)
                return c;
            continue;
        }
        std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
        for (std::string dir; std::getline(dirs, dir, ':');) {
            std::string full = dir;
            full += '/';
            full += c;
            if (!dir.empty() && ::access(full.c_str(), X_OK) == 0)
                return full;
        }
    }
    return {};
}

std::optional<std::string> preload_unavailable()
{
    const std::filesystem::path lib = preload_library();
    if (!std::filesystem::exists(lib)) {
        std::string why = "no preload library at ";
        why += lib.string();
        why += " (libc-shim/preload is not built yet)";
        return why;
    }
    secretmem_probe_result probe{};
    if (secretmem_probe(&probe) != 0)
        return std::string("secretmem_probe failed: ") + std::strerror(errno);
    if (probe.native.status != SECRETMEM_AVAILABLE &&
        probe.memfd_secret.status != SECRETMEM_AVAILABLE) {
        std::string why = "this kernel offers no secret memory: MAP_SECRET ";
        why += secretmem_status_name(probe.native.status);
        why += ", memfd_secret ";
        why += secretmem_status_name(probe.memfd_secret.status);
        return why;
    }
    return std::nullopt;
}

bool native_required()
{
    const char* value = std::getenv("SECRETMEM_REQUIRE_NATIVE");
    return value != nullptr && std::string(value) == "1";
}

std::vector<std::string> clean_environment(const std::map<std::string, std::string>& add)
{
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        if (!is_preload_setting(entry) && add.find(name) == add.end())
            env.push_back(entry);
    }
    for (const auto& [name, value] : add) {
        std::string entry = name;
        entry += '=';
        entry += value;
        env.push_back(std::move(entry));
    }
    return env;
}

std::map<std::string, std::string> preload_env(const std::string& mode)
{
    return {{"LD_PRELOAD", preload_library().string()},
            {"SECRETMEM_PRELOAD", mode},
            {"SECRETMEM_PRELOAD_REPORT", "1"}};
}

child::child(std::vector<std::string> argv, std::vector<std::string> env, const spawn_options& opts)
{
    if (argv.empty())
        throw std::invalid_argument("child: no program");
    // Built before fork: the child must not allocate.
    std::vector<char*> args;
    std::vector<char*> envp;
    args.reserve(argv.size() + 1);
    envp.reserve(env.size() + 1);
    for (std::string& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    for (std::string& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0)
        throw_errno("fork");
    if (pid_ == 0)
        exec_child(opts, args, envp);
}

child::~child()
{
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

int child::wait()
{
    while (!status_) {
        int status = 0;
        if (::waitpid(pid_, &status, 0) == pid_) {
            status_ = status;
        } else if (errno != EINTR) {
            throw_errno("waitpid");
        }
    }
    return *status_;
}

bool child::exited()
{
    if (status_)
        return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_)
        status_ = status;
    return status_.has_value();
}

bool child::wait_in_syscall(std::chrono::milliseconds timeout,
                            const std::function<bool(std::istream& syscall)>& matches)
{
    const std::string path = "/proc/" + std::to_string(pid_) + "/syscall";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (exited())
            return false;
        // "running", or the number and arguments of the system call it
        // sleeps in.
        std::ifstream in(path);
        if (matches(in))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

bool child::wait_blocked(long nr, const std::string& fd_target, std::chrono::milliseconds timeout)
{
    const std::string fds = "/proc/" + std::to_string(pid_) + "/fd/";
    return wait_in_syscall(timeout, [&](std::istream& in) {
        long number = -1;
        std::string fd_hex;
        if (!(in >> number >> fd_hex) || number != nr)
            return false;
        const long fd = std::strtol(fd_hex.c_str(), nullptr, 16);
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(fds + std::to_string(fd), ec);
        return !ec && target.string() == fd_target;
    });
}

bool child::wait_sleeping(const std::vector<long>& nrs, std::chrono::milliseconds timeout)
{
    return wait_in_syscall(timeout, [&](std::istream& in) {
        long number = -1;
        return static_cast<bool>(in >> number) &&
               std::find(nrs.begin(), nrs.end(), number) != nrs.end();
    });
}

bool child::wait_opening(const std::filesystem::path& path, std::chrono::milliseconds timeout)
{
    const std::string wanted = path.string();
    return wait_in_syscall(timeout, [&](std::istream& in) {
        // "257 dirfd pathname flags ...": the path is read from the child.
        long number = -1;
        std::string dirfd_hex;
        std::string path_hex;
        if (!(in >> number >> dirfd_hex >> path_hex) || number != SYS_openat)
            return false;
        std::string seen(wanted.size() + 1, '\0');
        const iovec local{seen.data(), seen.size()};
        // An address in the child, only ever handed to the kernel.
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        const iovec remote{reinterpret_cast<void*>(std::stoull(path_hex, nullptr, 16)),
                           seen.size()};
        return ::process_vm_readv(pid_, &local, 1, &remote, 1, 0) ==
                   static_cast<ssize_t>(seen.size()) &&
               seen.compare(0, wanted.size(), wanted) == 0 && seen.back() == '\0';
    });
}

full_pipe::full_pipe()
{
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0)
        throw_errno("pipe2");
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    const int flags = ::fcntl(write_fd_, F_GETFL);
    if (flags < 0 || ::fcntl(write_fd_, F_SETFL, flags | O_NONBLOCK) != 0)
        throw_errno("fcntl O_NONBLOCK");
    // Whole pages first, then single bytes: a pipe takes a write of up to
    // PIPE_BUF only when all of it fits, so page-sized writes alone could
    // stop short of full.
    const std::string block(4096, 'x');
    for (const std::size_t size : {block.size(), std::size_t{1}}) {
        for (;;) {
            const ssize_t n = ::write(write_fd_, block.data(), size);
            if (n > 0) {
                filler_ += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EAGAIN)
                break;
            throw_errno("filling a pipe");
        }
    }
    if (::fcntl(write_fd_, F_SETFL, flags) != 0)
        throw_errno("fcntl");
}

full_pipe::~full_pipe()
{
    close_write();
    if (read_fd_ >= 0)
        ::close(read_fd_);
}

void full_pipe::close_write()
{
    if (write_fd_ >= 0)
        ::close(write_fd_);
    write_fd_ = -1;
}

std::string full_pipe::fd_target() const
{
    struct stat st {};
    if (::fstat(read_fd_, &st) != 0)
        throw_errno("fstat");
    return "pipe:[" + std::to_string(st.st_ino) + "]";
}

std::string full_pipe::drain()
{
    close_write();
    std::string data;
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t n = ::read(read_fd_, buffer.data(), buffer.size());
        if (n > 0) {
            data.append(buffer.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw_errno("draining a pipe");
        break;
    }
    return data.size() > filler_ ? data.substr(filler_) : std::string();
}

temp_dir::temp_dir()
{
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr ? base : "/tmp") + "/secretmem-preload.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        throw_errno("mkdtemp");
    path_ = pattern;
}

temp_dir::~temp_dir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_text(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path.string());
}

std::string report::text(const std::string& key) const
{
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
}

long long report::number(const std::string& key) const
{
    const std::string value = text(key);
    if (value.empty())
        return -1;
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    return *end == '\0' ? n : -1;
}

std::optional<report> find_report(const std::string& stderr_text)
{
    static const std::string prefix = "secretmem-preload: ";
    std::istringstream lines(stderr_text);
    std::optional<report> found;
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with(prefix) || line.find(" backend=") == std::string::npos)
            continue;
        report r;
        r.line = line;
        std::istringstream words(line.substr(prefix.size()));
        for (std::string word; words >> word;) {
            const auto eq = word.find('=');
            if (eq != std::string::npos)
                r.fields[word.substr(0, eq)] = word.substr(eq + 1);
        }
        found = std::move(r);
    }
    return found;
}

std::string describe_status(int status)
{
    if (WIFEXITED(status))
        return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* name = ::sigabbrev_np(WTERMSIG(status));
        return std::string("killed by SIG") + (name != nullptr ? name : "?");
    }
    return "status " + std::to_string(status);
}

void expect_secret_backend(const report& r)
{
    if (native_required()) {
        EXPECT_EQ(r.text("backend"), "native") << r.line;
    } else {
        EXPECT_TRUE(r.text("backend") == "native" || r.text("backend") == "fd") << r.line;
    }
    EXPECT_EQ(r.text("degraded"), "no") << r.line;
}

} // namespace secretmem::preload_test
