// SPDX-License-Identifier: MIT
#include "fork_copy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace secretmem::heap::fork_copy {
namespace {

constexpr std::size_t piece = std::size_t{2} << 20;

struct channel {
    std::byte* buffer = nullptr;
    int to_child[2] = {-1, -1};
    int to_parent[2] = {-1, -1};
};

constinit channel open_channel;

// Shared memory the child inherits, as well protected as the heap:
// memfd_secret for the secret backends, locked shared memory for the
// degraded one.
std::byte* map_buffer(const backend& heap_backend) noexcept
{
    void* p = ::mmap(nullptr, piece, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    const bool mapped = heap_backend.degraded()
                            ? ::mmap(p, piece, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED &&
                                  ::mlock(p, piece) == 0
                            : !backend_for(backend_kind::fd).map_at(p, piece) &&
                                  ::madvise(p, piece, MADV_DOFORK) == 0;
    if (!mapped) {
        ::munmap(p, piece);
        return nullptr;
    }
    return static_cast<std::byte*>(p);
}

void close_fd(int& fd) noexcept
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

void tear_down() noexcept
{
    if (open_channel.buffer != nullptr)
        ::munmap(open_channel.buffer, piece);
    open_channel.buffer = nullptr;
    for (int* pipe_pair : {open_channel.to_child, open_channel.to_parent}) {
        close_fd(pipe_pair[0]);
        close_fd(pipe_pair[1]);
    }
}

bool transfer_word(int fd, std::size_t& word, bool sending) noexcept
{
    auto* bytes = reinterpret_cast<char*>(&word);
    std::size_t done = 0;
    while (done < sizeof word) {
        const ssize_t n = sending ? ::write(fd, bytes + done, sizeof word - done)
                                  : ::read(fd, bytes + done, sizeof word - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

bool prepare(const backend& heap_backend) noexcept
{
    open_channel.buffer = map_buffer(heap_backend);
    if (open_channel.buffer == nullptr || ::pipe2(open_channel.to_child, O_CLOEXEC) != 0 ||
        ::pipe2(open_channel.to_parent, O_CLOEXEC) != 0) {
        tear_down();
        return false;
    }
    return true;
}

void send(const std::byte* base, std::size_t length) noexcept
{
    if (open_channel.buffer == nullptr)
        return;
    // Only the child's ends stay open there: a dead child reads as EOF.
    close_fd(open_channel.to_child[0]);
    close_fd(open_channel.to_parent[1]);
    for (std::size_t offset = 0; offset < length; offset += piece) {
        std::size_t n = std::min(piece, length - offset);
        std::memcpy(open_channel.buffer, base + offset, n);
        std::size_t taken = 0;
        if (!transfer_word(open_channel.to_child[1], n, true) ||
            !transfer_word(open_channel.to_parent[0], taken, false))
            break;
    }
    tear_down();
}

bool receive(std::byte* base, std::size_t length) noexcept
{
    if (open_channel.buffer == nullptr)
        return false;
    close_fd(open_channel.to_child[1]);
    close_fd(open_channel.to_parent[0]);
    bool complete = true;
    for (std::size_t offset = 0; offset < length && complete; offset += piece) {
        std::size_t n = 0;
        complete = transfer_word(open_channel.to_child[0], n, false) &&
                   n == std::min(piece, length - offset);
        if (complete) {
            std::memcpy(base + offset, open_channel.buffer, n);
            complete = transfer_word(open_channel.to_parent[1], n, true);
        }
    }
    tear_down();
    return complete;
}

} // namespace secretmem::heap::fork_copy
