// SPDX-License-Identifier: MIT
#include "fork_channel.hpp"

#include <secretmem/backend.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace secretmem::fork_channel {
namespace {

constexpr std::size_t piece = std::size_t{2} << 20;

struct channel {
    std::byte* buffer = nullptr;
    int to_child[2] = {-1, -1};
    int to_parent[2] = {-1, -1};
    bool ends_chosen = false; // this side's unused ends are closed
};

constinit channel open_channel;

std::byte* map_buffer(bool secret_buffer) noexcept
{
    void* p = ::mmap(nullptr, piece, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    // The fd backend maps its memory MADV_DONTFORK; this one buffer is
    // meant to be shared with the child.
    const bool mapped = secret_buffer
                            ? !backend_for(backend_kind::fd).map_at(p, piece) &&
                                  ::madvise(p, piece, MADV_DOFORK) == 0
                            : ::mmap(p, piece, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED &&
                                  ::mlock(p, piece) == 0;
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

// Close the other side's ends of the pipes, so that its death reads as EOF.
void close_their_ends(int& theirs_read, int& theirs_write) noexcept
{
    if (open_channel.ends_chosen)
        return;
    close_fd(theirs_read);
    close_fd(theirs_write);
    open_channel.ends_chosen = true;
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

bool open(bool secret_buffer) noexcept
{
    open_channel.buffer = map_buffer(secret_buffer);
    if (open_channel.buffer == nullptr || ::pipe2(open_channel.to_child, O_CLOEXEC) != 0 ||
        ::pipe2(open_channel.to_parent, O_CLOEXEC) != 0) {
        close();
        return false;
    }
    return true;
}

bool ready() noexcept
{
    return open_channel.buffer != nullptr;
}

bool send(const std::byte* base, std::size_t length) noexcept
{
    if (!ready())
        return false;
    // The parent writes to_child[1] and reads to_parent[0].
    close_their_ends(open_channel.to_child[0], open_channel.to_parent[1]);
    for (std::size_t offset = 0; offset < length; offset += piece) {
        std::size_t n = std::min(piece, length - offset);
        std::memcpy(open_channel.buffer, base + offset, n);
        std::size_t taken = 0;
        if (!transfer_word(open_channel.to_child[1], n, true) ||
            !transfer_word(open_channel.to_parent[0], taken, false)) {
            close();
            return false;
        }
    }
    return true;
}

bool receive(std::byte* base, std::size_t length) noexcept
{
    if (!ready())
        return false;
    // The child reads to_child[0] and writes to_parent[1].
    close_their_ends(open_channel.to_parent[0], open_channel.to_child[1]);
    for (std::size_t offset = 0; offset < length; offset += piece) {
        std::size_t n = 0;
        if (!transfer_word(open_channel.to_child[0], n, false) ||
            n != std::min(piece, length - offset)) {
            close();
            return false;
        }
        std::memcpy(base + offset, open_channel.buffer, n);
        if (!transfer_word(open_channel.to_parent[1], n, true)) {
            close();
            return false;
        }
    }
    return true;
}

void close() noexcept
{
    if (open_channel.buffer != nullptr) {
        ::explicit_bzero(open_channel.buffer, piece);
        ::munmap(open_channel.buffer, piece);
    }
    open_channel.buffer = nullptr;
    for (int* pipe_pair : {open_channel.to_child, open_channel.to_parent}) {
        close_fd(pipe_pair[0]);
        close_fd(pipe_pair[1]);
    }
    open_channel.ends_chosen = false;
}

} // namespace secretmem::fork_channel
