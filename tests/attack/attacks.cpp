// SPDX-License-Identifier: MIT
// The attacks.  Each is run against the control first: an attack that fails
// on ordinary memory proves nothing when it fails on secret memory.
#include "attacks.hpp"

#include "../support/proc.hpp"
#include "primitives.hpp"
#include "victim.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <linux/io_uring.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <optional>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace secretmem::attack {
namespace {

const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

outcome leaked(std::string detail = {})
{
    return {outcome::result::leaked, std::move(detail)};
}
outcome refused(int error)
{
    const char* name = ::strerrorname_np(error);
    return {outcome::result::refused, name != nullptr ? name : std::to_string(error)};
}
outcome refused(std::string detail)
{
    return {outcome::result::refused, std::move(detail)};
}
outcome skipped(std::string why)
{
    return {outcome::result::skipped, std::move(why)};
}
outcome broken(std::string why)
{
    return {outcome::result::broken, std::move(why)};
}

// Read: leaked when the pattern came back.
outcome judge_read(int error, const std::vector<std::byte>& got)
{
    if (error != 0)
        return refused(error);
    return has_pattern(got.data(), got.size()) ? leaked() : refused("read other bytes");
}

// Write: leaked when the victim's bytes changed.
outcome judge_write(int error, victim& v)
{
    const bool intact = v.intact();
    if (!intact)
        return leaked("modified");
    return error != 0 ? refused(error) : refused("no effect");
}

outcome proc_mem_read(const target& t, const context&)
{
    victim v(t, page);
    std::vector<std::byte> got(page);
    return judge_read(test::read_proc_mem(v.pid(), v.address(), got.data(), got.size()), got);
}

outcome proc_mem_write(const target& t, const context&)
{
    victim v(t, page);
    const std::string path = "/proc/" + std::to_string(v.pid()) + "/mem";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return broken("open " + path + ": " + std::strerror(errno));
    const std::vector<std::byte> zeros(page);
    const ssize_t n =
        ::pwrite(fd, zeros.data(), zeros.size(), reinterpret_cast<off_t>(v.address()));
    const int error = n < 0 ? errno : 0;
    ::close(fd);
    return judge_write(error, v);
}

// Enough words for the pattern token twice over.
constexpr std::size_t peek_bytes = 128;

outcome ptrace_peek(const target& t, const context&)
{
    victim v(t, page);
    if (const int error = ptrace_stop(v.pid()); error != 0)
        return broken(std::string("ptrace attach: ") + std::strerror(error));
    std::vector<std::byte> got(peek_bytes);
    const int error = peek_words(v.pid(), v.address(), got.data(), got.size());
    ptrace_detach(v.pid());
    return judge_read(error, got);
}

outcome ptrace_poke(const target& t, const context&)
{
    victim v(t, page);
    if (const int error = ptrace_stop(v.pid()); error != 0)
        return broken(std::string("ptrace attach: ") + std::strerror(error));
    // Overwrite the whole page word by word, so the pattern cannot survive.
    int error = 0;
    for (std::size_t off = 0; off < page && error == 0; off += sizeof(long)) {
        if (::ptrace(PTRACE_POKEDATA, v.pid(), v.address() + off, nullptr) != 0)
            error = errno;
    }
    ptrace_detach(v.pid());
    return judge_write(error, v);
}

outcome vm_readv(const target& t, const context&)
{
    victim v(t, page);
    std::vector<std::byte> got(page);
    return judge_read(test::read_process_vm(v.pid(), v.address(), got.data(), got.size()), got);
}

outcome vm_writev(const target& t, const context&)
{
    victim v(t, page);
    std::vector<std::byte> zeros(page);
    iovec local{zeros.data(), zeros.size()};
    iovec remote{v.address(), page};
    const ssize_t n = ::process_vm_writev(v.pid(), &local, 1, &remote, 1, 0);
    return judge_write(n < 0 ? errno : 0, v);
}

// vmsplice pins the pages into a pipe: the reader gets them without a copy.
outcome vmsplice_to_pipe(const target& t, const context&)
{
    const mapping m(t, page);
    int pipefd[2];
    if (::pipe(pipefd) != 0)
        return broken(std::strerror(errno));
    iovec iov{m.data(), page};
    const ssize_t n = ::vmsplice(pipefd[1], &iov, 1, 0);
    const int error = n < 0 ? errno : 0;
    std::vector<std::byte> got(page);
    if (n > 0 && ::read(pipefd[0], got.data(), got.size()) < 0)
        return broken(std::strerror(errno));
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return judge_read(error, got);
}

// O_DIRECT needs a file system on a block device: not tmpfs, not 9p.
std::string odirect_unusable(const std::string& dir)
{
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0)
        return dir + ": " + std::strerror(errno);
    constexpr long v9fs_magic = 0x01021997;
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == v9fs_magic || fs.f_type == RAMFS_MAGIC)
        return dir + " is not on a block device (set SECRETMEM_ATTACK_DIR)";
    return {};
}

int open_direct(const std::string& dir, int flags)
{
    const std::string path = dir + "/secretmem-odirect.tmp";
    const int fd = ::open(path.c_str(), flags | O_DIRECT | O_CLOEXEC, 0600);
    if (fd >= 0)
        ::unlink(path.c_str());
    return fd;
}

// The disk reads straight into the secret pages (DMA through GUP).
outcome odirect_read(const target& t, const context& c)
{
    if (auto why = odirect_unusable(c.scratch_dir); !why.empty())
        return skipped(why);
    const int fd = open_direct(c.scratch_dir, O_RDWR | O_CREAT | O_TRUNC);
    if (fd < 0)
        return skipped(std::string("O_DIRECT open: ") + std::strerror(errno));
    // Put one page of zeros in the file with an ordinary aligned buffer.
    const mapping zeros({"plain", std::nullopt}, page);
    std::memset(zeros.data(), 0, page);
    if (::pwrite(fd, zeros.data(), page, 0) != static_cast<ssize_t>(page))
        return broken(std::string("O_DIRECT seed write: ") + std::strerror(errno));
    const mapping m(t, page);
    const ssize_t n = ::pread(fd, m.data(), page, 0);
    const int error = n < 0 ? errno : 0;
    ::close(fd);
    if (error != 0)
        return refused(error);
    return all_zero(m.data(), page) ? leaked("overwritten by DMA") : refused("no effect");
}

// The disk reads the secret pages (DMA through GUP) and keeps them.
outcome odirect_write(const target& t, const context& c)
{
    if (auto why = odirect_unusable(c.scratch_dir); !why.empty())
        return skipped(why);
    const int fd = open_direct(c.scratch_dir, O_RDWR | O_CREAT | O_TRUNC);
    if (fd < 0)
        return skipped(std::string("O_DIRECT open: ") + std::strerror(errno));
    const mapping m(t, page);
    const ssize_t n = ::pwrite(fd, m.data(), page, 0);
    const int error = n < 0 ? errno : 0;
    // Read back through an aligned buffer, as O_DIRECT requires.
    const mapping back({"plain", std::nullopt}, page);
    std::memset(back.data(), 0, page);
    if (error == 0 && ::pread(fd, back.data(), page, 0) < 0)
        return broken(std::string("read back: ") + std::strerror(errno));
    ::close(fd);
    return error != 0 ? refused(error) : judge_read(0, {back.data(), back.data() + page});
}

// io_uring fixed buffers stay pinned for the ring's life.
outcome io_uring_register_buffer(const target& t, const context&)
{
    io_uring_params params{};
    const int ring = static_cast<int>(::syscall(SYS_io_uring_setup, 4, &params));
    if (ring < 0)
        return skipped(std::string("io_uring_setup: ") + std::strerror(errno));
    const mapping m(t, page);
    iovec iov{m.data(), page};
    const long r = ::syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1);
    const int error = r < 0 ? errno : 0;
    ::close(ring);
    return error != 0 ? refused(error) : leaked("pinned");
}

// A crashing process's core file.
outcome core_dump(const target& t, const context& c)
{
    std::ifstream pattern_file("/proc/sys/kernel/core_pattern");
    std::string core_pattern;
    std::getline(pattern_file, core_pattern);
    if (core_pattern.rfind("core", 0) != 0)
        return skipped("core_pattern is '" + core_pattern + "', not a file in the cwd");
    const std::filesystem::path dir =
        std::filesystem::path(c.scratch_dir) / ("secretmem-core." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // A fresh process, not a fork: a fork would carry this process's heap,
    // where earlier control attacks left copies of the pattern.
    const pid_t child = ::fork();
    if (child == 0) {
        const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        const std::string kind = t.backend ? std::string(to_string(*t.backend)) : "plain";
        if (::chdir(dir.c_str()) != 0 || ::setrlimit(RLIMIT_CORE, &unlimited) != 0 ||
            ::setenv(token_variable, pattern_token().c_str(), 1) != 0)
            ::_exit(1);
        ::execl("/proc/self/exe", "secretmem-attack", dump_core_flag, kind.c_str(), nullptr);
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    outcome result = broken("no core file was written");
    if (WIFSIGNALED(status) && WCOREDUMP(status)) {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            std::ifstream core(entry.path(), std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(core)),
                                    std::istreambuf_iterator<char>());
            result = has_pattern(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size())
                         ? leaked("in the core file")
                         : refused("absent from the core file");
        }
    }
    std::filesystem::remove_all(dir);
    return result;
}

// What a forked child finds at the secret's address.
outcome fork_child(const target& t, const context&)
{
    const mapping m(t, page);
    const pid_t child = ::fork();
    if (child == 0) {
        if (!test::mapping_perms(m.data()))
            ::_exit(10);
        if (all_zero(m.data(), page))
            ::_exit(11);
        ::_exit(has_pattern(m.data(), page) ? 12 : 13);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status))
        return broken("child killed by signal " + std::to_string(WTERMSIG(status)));
    switch (WEXITSTATUS(status)) {
    case 10:
        return refused("no mapping");
    case 11:
        return refused("zeros");
    case 12:
        return leaked("inherited");
    default:
        return broken("child saw other bytes");
    }
}

outcome probe_unusable()
{
    return skipped(std::string(probe_path) +
                   " is missing: the kernel lacks CONFIG_DEBUG_SECRET_MAP or debugfs");
}

// The kernel itself reads the page through its direct map, as a kernel
// read primitive or a speculative gadget would.
outcome kernel_direct_map_read(const target& t, const context&)
{
    const mapping m(t, page);
    const auto pfn = frame_of(m.data());
    if (!pfn)
        return broken("no frame in /proc/self/pagemap");
    const auto answer = probe_frame(*pfn);
    if (!answer)
        return probe_unusable();
    if (says(*answer, "direct_map=0") && says(*answer, "kernel_read=fault"))
        return refused("not in the direct map, read faults");
    return says(*answer, "kernel_read=ok") ? leaked("kernel read works") : broken(*answer);
}

// The patched kernel keeps freed secret frames in a pool of 2 MiB chunks,
// out of the direct map; draining it zeroes them and gives wholly free
// chunks back.  Absent on other kernels, where this does nothing.
void drain_secret_pool()
{
    const int fd = ::open("/proc/sys/vm/secret_map_pool_drain", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    [[maybe_unused]] const auto written = ::write(fd, "1", 1);
    ::close(fd);
}

// After munmap the frame goes back to the direct map, and no secret byte
// with it; or it stays in the secret pool, still out of the direct map.
outcome frame_after_unmap(const target& t, const context&)
{
    std::optional<std::uint64_t> pfn;
    {
        const mapping m(t, page);
        pfn = frame_of(m.data());
    }
    if (!pfn)
        return broken("no frame in /proc/self/pagemap");
    drain_secret_pool();
    const auto answer = probe_frame(*pfn);
    if (!answer)
        return probe_unusable();
    if (says(*answer, "direct_map=1") && says(*answer, "zeroed=yes"))
        return refused("zeroed, back in the direct map");
    if (says(*answer, "pool=1") && says(*answer, "direct_map=0") &&
        says(*answer, "kernel_read=fault"))
        return refused("held by the secret pool, out of the direct map");
    return says(*answer, "zeroed=no") ? leaked("freed frame not zeroed") : broken(*answer);
}

// UFFDIO_MOVE (Linux 6.8) is newer than Debian 12's uapi headers.
constexpr std::uint64_t uffd_feature_move = 1ULL << 16;
struct uffdio_move_args {
    std::uint64_t dst;
    std::uint64_t src;
    std::uint64_t len;
    std::uint64_t mode;
    std::int64_t move;
};
constexpr unsigned long uffdio_move = _IOWR(UFFDIO, 0x05, uffdio_move_args);

// userfaultfd moves the page itself into an ordinary mapping, where every
// other path could reach it.  The destination is locked when the source is,
// as the move requires.
outcome userfaultfd_move(const target& t, const context&)
{
    const int uffd = static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
    if (uffd < 0)
        return skipped(std::string("userfaultfd: ") + std::strerror(errno));
    uffdio_api api{UFFD_API, uffd_feature_move, 0};
    if (::ioctl(uffd, UFFDIO_API, &api) != 0) {
        ::close(uffd);
        return skipped("this kernel has no UFFDIO_MOVE");
    }
    const mapping source(t, page);
    const mapping destination({"plain", std::nullopt}, page);
    // Only the destination's page tables may be empty: it receives the page.
    const bool locked_source = t.backend == backend_kind::native;
    // MLOCK_ONFAULT: locked like MAP_SECRET, without faulting the page back.
    if (::madvise(destination.data(), page, MADV_DONTNEED) != 0 ||
        (locked_source && ::mlock2(destination.data(), page, MLOCK_ONFAULT) != 0))
        return broken(std::strerror(errno));
    uffdio_register reg{{reinterpret_cast<std::uintptr_t>(destination.data()), page},
                        UFFDIO_REGISTER_MODE_MISSING,
                        0};
    if (::ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) {
        ::close(uffd);
        return broken(std::string("UFFDIO_REGISTER: ") + std::strerror(errno));
    }
    uffdio_move_args move{reinterpret_cast<std::uintptr_t>(destination.data()),
                          reinterpret_cast<std::uintptr_t>(source.data()), page, 0, 0};
    const int error = ::ioctl(uffd, uffdio_move, &move) == 0 ? 0 : errno;
    ::close(uffd);
    if (error != 0)
        return refused(error);
    return has_pattern(destination.data(), page) ? leaked("moved into plain memory")
                                                 : refused("moved nothing");
}

} // namespace

void map_and_dump_core(const target& t)
{
    const mapping m(t, page);
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
}

const std::vector<attack>& all_attacks()
{
    static const std::vector<attack> attacks{
        {"/proc/PID/mem read", proc_mem_read},
        {"/proc/PID/mem write", proc_mem_write},
        {"ptrace PEEKDATA", ptrace_peek},
        {"ptrace POKEDATA", ptrace_poke},
        {"process_vm_readv", vm_readv},
        {"process_vm_writev", vm_writev},
        {"vmsplice into a pipe", vmsplice_to_pipe},
        {"O_DIRECT read into it", odirect_read},
        {"O_DIRECT write from it", odirect_write},
        {"io_uring fixed buffer", io_uring_register_buffer},
        {"core dump", core_dump},
        {"fork", fork_child},
        {"userfaultfd UFFDIO_MOVE", userfaultfd_move},
        {"kernel direct-map read", kernel_direct_map_read},
        {"frame after munmap", frame_after_unmap},
    };
    return attacks;
}

} // namespace secretmem::attack
