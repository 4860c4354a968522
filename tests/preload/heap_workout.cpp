// SPDX-License-Identifier: MIT
// preload-heap-workout: a multi-threaded program that leans on every entry
// of the malloc family, so that a run under SECRETMEM_PRELOAD=all shows the
// interposed heap is a correct malloc: threads allocate, fill, check,
// reallocate and free blocks of many sizes and alignments, and hand blocks
// to one another to free (a cross-thread free is where per-thread caches go
// wrong).  Every block is checked before it is freed; any mismatch exits 1.
//
// With --hold it first reads a secret from stdin into heap objects, says
// "holding" on stdout and waits for a line on stdin: the test scans its
// memory meanwhile.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <malloc.h>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::atomic<bool> failed{false};

void fail(const char* what, std::size_t detail)
{
    std::fprintf(stderr, "heap-workout: FAILED: %s (%zu)\n", what, detail);
    failed = true;
}

// The byte at `i` of a block tagged `tag`: blocks are told apart, so that a
// block handed out twice, or data moved to the wrong place, shows.
unsigned char pattern(std::uint64_t tag, std::size_t i)
{
    return static_cast<unsigned char>((tag * 0x9e3779b97f4a7c15ULL + i * 131U) >> 24U);
}

void fill(unsigned char* p, std::size_t size, std::uint64_t tag)
{
    for (std::size_t i = 0; i < size; ++i)
        p[i] = pattern(tag, i);
}

bool intact(const unsigned char* p, std::size_t size, std::uint64_t tag)
{
    for (std::size_t i = 0; i < size; ++i) {
        if (p[i] != pattern(tag, i))
            return false;
    }
    return true;
}

struct block {
    unsigned char* data = nullptr;
    std::size_t size = 0;
    std::uint64_t tag = 0;
};

// Blocks one thread allocated and another frees.
class mailbox {
public:
    void put(block b)
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        blocks_.push_back(b);
    }
    bool take(block& out)
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (blocks_.empty())
            return false;
        out = blocks_.front();
        blocks_.pop_front();
        return true;
    }

private:
    std::mutex mutex_;
    std::deque<block> blocks_;
};

std::size_t random_size(std::mt19937_64& rng)
{
    // Mostly small, some page-sized, a few large enough for mmap in glibc.
    const std::uint64_t kind = rng() % 100;
    if (kind < 70)
        return 1 + rng() % 256;
    if (kind < 95)
        return 257 + rng() % 16384;
    return 65536 + rng() % (1U << 20U);
}

// NOLINTBEGIN(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): the malloc
// family is what this program tests.
unsigned char* allocate(std::mt19937_64& rng, std::size_t size)
{
    void* p = nullptr;
    switch (rng() % 5) {
    case 0: {
        p = std::calloc(1, size);
        if (p != nullptr &&
            std::any_of(static_cast<unsigned char*>(p), static_cast<unsigned char*>(p) + size,
                        [](unsigned char c) { return c != 0; }))
            fail("calloc memory is not zero", size);
        break;
    }
    case 1: {
        const std::size_t alignment = std::size_t{16} << (rng() % 9); // 16 .. 4096
        if (::posix_memalign(&p, alignment, size) != 0)
            p = nullptr;
        if (p != nullptr && reinterpret_cast<std::uintptr_t>(p) % alignment != 0)
            fail("posix_memalign alignment", alignment);
        break;
    }
    case 2: {
        const std::size_t alignment = std::size_t{64} << (rng() % 4);
        p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
        if (p != nullptr && reinterpret_cast<std::uintptr_t>(p) % alignment != 0)
            fail("aligned_alloc alignment", alignment);
        break;
    }
    default:
        p = std::malloc(size);
        break;
    }
    if (p == nullptr) {
        fail("allocation returned NULL", size);
        return nullptr;
    }
    if (::malloc_usable_size(p) < size)
        fail("malloc_usable_size below the size asked for", size);
    return static_cast<unsigned char*>(p);
}

void worker(unsigned id, unsigned iterations, mailbox& mine, mailbox& next)
{
    std::mt19937_64 rng(0x5ec12e7 + id);
    std::vector<block> live;
    std::uint64_t tag = std::uint64_t{id} << 40U;
    for (unsigned i = 0; i < iterations && !failed; ++i) {
        const std::uint64_t action = rng() % 10;
        if (action < 4 || live.empty()) {
            const std::size_t size = random_size(rng);
            unsigned char* p = allocate(rng, size);
            if (p == nullptr)
                return;
            fill(p, size, ++tag);
            live.push_back({p, size, tag});
        } else if (action < 6) {
            block& b = live[rng() % live.size()];
            if (!intact(b.data, b.size, b.tag))
                fail("block changed before realloc", b.size);
            const std::size_t size = random_size(rng);
            auto* p = static_cast<unsigned char*>(std::realloc(b.data, size));
            if (p == nullptr) {
                fail("realloc returned NULL", size);
                return;
            }
            if (!intact(p, std::min(size, b.size), b.tag))
                fail("realloc lost the contents", size);
            b = {p, size, ++tag};
            fill(p, size, tag);
        } else if (action < 8) {
            const std::size_t at = rng() % live.size();
            next.put(live[at]); // freed by the next thread
            live[at] = live.back();
            live.pop_back();
        } else {
            const std::size_t at = rng() % live.size();
            if (!intact(live[at].data, live[at].size, live[at].tag))
                fail("block changed before free", live[at].size);
            std::free(live[at].data);
            live[at] = live.back();
            live.pop_back();
        }
        if (block b; i % 4 == 0 && mine.take(b)) {
            if (!intact(b.data, b.size, b.tag))
                fail("block changed on its way between threads", b.size);
            std::free(b.data);
        }
    }
    for (const block& b : live) {
        if (!intact(b.data, b.size, b.tag))
            fail("block changed before the final free", b.size);
        std::free(b.data);
    }
}
// NOLINTEND(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)

// Containers on top of operator new, as most C++ programs use the heap.
void containers(unsigned id)
{
    std::map<int, std::string> names;
    std::vector<std::unique_ptr<std::vector<int>>> vectors;
    for (int i = 0; i < 20000; ++i) {
        names[i] =
            "entry-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x');
        if (i % 10 == 0)
            vectors.push_back(std::make_unique<std::vector<int>>(static_cast<std::size_t>(i), i));
    }
    for (int i = 0; i < 20000; i += 2)
        names.erase(i);
    std::size_t total = 0;
    for (const auto& [key, value] : names) {
        if (!value.starts_with("entry-" + std::to_string(key)))
            fail("map value", static_cast<std::size_t>(key));
        total += value.size();
    }
    for (const auto& v : vectors) {
        if (!v->empty() && (v->front() != static_cast<int>(v->size()) || v->back() != v->front()))
            fail("vector contents", v->size());
    }
    std::string built;
    for (int i = 0; i < 100000; ++i)
        built += static_cast<char>('a' + (i + static_cast<int>(id)) % 26);
    if (built.size() != 100000 || names.size() != 10000 || total == 0)
        fail("container sizes", built.size());
}

// Reads exactly `size` bytes into heap memory: a stack buffer would leave a
// copy of the secret outside the heap.
bool read_exact(int fd, unsigned char* into, std::size_t size)
{
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(fd, into + got, size - got);
        if (n <= 0)
            return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const bool hold = std::find(args.begin(), args.end(), "--hold") != args.end();
    constexpr std::size_t secret_size = 4096;

    auto secret = std::make_unique<unsigned char[]>(secret_size);
    std::vector<unsigned char> copy;
    std::string as_string;
    if (hold) {
        if (!read_exact(0, secret.get(), secret_size)) {
            std::fputs("heap-workout: no secret on stdin\n", stderr);
            return 2;
        }
        copy.assign(secret.get(), secret.get() + secret_size);
        as_string.assign(reinterpret_cast<const char*>(secret.get()), secret_size);
        static constexpr char holding[] = "holding\n";
        auto line = std::make_unique<char[]>(8);
        if (::write(1, holding, sizeof(holding) - 1) < 0 || ::read(0, line.get(), 8) <= 0)
            return 2;
    }

    constexpr unsigned threads = 4;
    const unsigned iterations = 20000;
    std::vector<mailbox> boxes(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            worker(t, iterations, boxes[t], boxes[(t + 1) % threads]);
            containers(t);
        });
    }
    for (std::thread& t : pool)
        t.join();
    // Blocks still in transit: their threads have finished.
    for (mailbox& box : boxes) {
        block b;
        while (box.take(b)) {
            if (!intact(b.data, b.size, b.tag))
                fail("block changed in a mailbox", b.size);
            // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
            std::free(b.data);
        }
    }
    if (hold && (std::memcmp(copy.data(), secret.get(), secret_size) != 0 ||
                 std::memcmp(as_string.data(), secret.get(), secret_size) != 0))
        fail("the held secret changed", 0);
    if (failed)
        return 1;
    std::printf("heap-workout: ok, %u threads x %u operations\n", threads, iterations);
    return 0;
}
