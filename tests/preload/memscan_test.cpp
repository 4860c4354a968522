// SPDX-License-Identifier: MIT
// The scanner against a process whose every copy of a secret is known: it
// must find each copy in plain memory (including copies split across reads
// and across two mappings), none in secret memory, and keep going past pages
// it cannot read and mappings that vanish.
#include "harness.hpp"
#include "memscan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <set>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ms = secretmem::memscan;

namespace {

const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
constexpr std::size_t secret_size = 48;

// Where the target put its copies; 0 for a copy it could not make.
struct layout {
    std::uintptr_t heap = 0;
    std::uintptr_t split = 0;    // across a page boundary inside one mapping
    std::uintptr_t adjacent = 0; // across the boundary of two mappings
    std::uintptr_t doomed = 0;   // in a mapping the target unmaps on request
    std::uintptr_t doomed_start = 0;
    std::uintptr_t partial = 0; // bytes 8..32 of the secret only
    std::uintptr_t secret_mem = 0;
    std::size_t secret_mem_pages = 0;
};

constexpr char unmap_command = 'u';

void write_all(int fd, const void* data, std::size_t size)
{
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0)
            ::_exit(3);
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void* map_pages(std::size_t pages)
{
    void* p =
        ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        ::_exit(4);
    return p;
}

// Copies the secret one byte at a time, never through vector registers.
// memcpy moves 16 or 32 bytes per register, and the first call to each libc
// function after it goes through the dynamic linker's lazy-binding
// trampoline (_dl_runtime_resolve_xsavec), which saves those registers on
// the stack: 16 bytes of the secret were left there, a partial copy that
// `layout` did not list.
void copy_secret(unsigned char* to, const unsigned char* from, std::size_t size)
{
    volatile unsigned char* const into = to;
    const volatile unsigned char* const source = from;
    for (std::size_t i = 0; i < size; ++i)
        into[i] = source[i];
}

// The target, in a forked child.  The secret comes from getrandom() straight
// into the heap and is copied with copy_secret() only, so the copies in
// `layout` are all there are.
[[noreturn]] void run_target(int report_fd, int command_fd)
{
    layout l;
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
    auto* heap = static_cast<unsigned char*>(std::malloc(page));
    if (heap == nullptr || ::getrandom(heap + 100, secret_size, 0) != secret_size)
        ::_exit(5);
    const unsigned char* secret = heap + 100;
    l.heap = reinterpret_cast<std::uintptr_t>(secret);

    auto* two = static_cast<unsigned char*>(map_pages(2));
    copy_secret(two + page - 20, secret, secret_size);
    l.split = reinterpret_cast<std::uintptr_t>(two + page - 20);

    // A different protection on the second page makes it a second mapping.
    auto* pair = static_cast<unsigned char*>(map_pages(2));
    copy_secret(pair + page - 30, secret, secret_size);
    if (::mprotect(pair + page, page, PROT_READ) != 0)
        ::_exit(6);
    l.adjacent = reinterpret_cast<std::uintptr_t>(pair + page - 30);

    // Between inaccessible pages, so that the kernel cannot merge it with a
    // neighbour: once unmapped, nothing readable is left where it was.
    auto* fenced = static_cast<unsigned char*>(map_pages(4));
    if (::mprotect(fenced, page, PROT_NONE) != 0 ||
        ::mprotect(fenced + 3 * page, page, PROT_NONE) != 0)
        ::_exit(7);
    auto* doomed = fenced + page;
    copy_secret(doomed + 64, secret, secret_size);
    l.doomed = reinterpret_cast<std::uintptr_t>(doomed + 64);
    l.doomed_start = reinterpret_cast<std::uintptr_t>(doomed);

    auto* partial = static_cast<unsigned char*>(map_pages(1));
    copy_secret(partial + 200, secret + 8, 24);
    // Fenced by bytes unlike the secret's own neighbours: a zero byte next
    // to the copy matched secret[7] or secret[32] once in 128 runs, and the
    // copy was found a byte longer than it was made.
    partial[199] = static_cast<unsigned char>(~secret[7]);
    partial[224] = static_cast<unsigned char>(~secret[32]);
    l.partial = reinterpret_cast<std::uintptr_t>(partial + 200);

    const long fd = ::syscall(SYS_memfd_secret, 0);
    if (fd >= 0 && ::ftruncate(static_cast<int>(fd), static_cast<off_t>(4 * page)) == 0) {
        void* p =
            ::mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(fd), 0);
        if (p != MAP_FAILED) {
            auto* s = static_cast<unsigned char*>(p);
            copy_secret(s, secret, secret_size);
            copy_secret(s + 2 * page - 10, secret, secret_size);
            l.secret_mem = reinterpret_cast<std::uintptr_t>(s);
            l.secret_mem_pages = 4;
        }
    }

    write_all(report_fd, &l, sizeof(l));
    write_all(report_fd, secret, secret_size);
    char command = 0;
    while (::read(command_fd, &command, 1) == 1) {
        if (command == unmap_command) {
            ::munmap(doomed, 2 * page);
            write_all(report_fd, &command, 1);
        }
    }
    ::_exit(0);
}

class target {
public:
    target()
    {
        std::array<int, 2> report{};
        std::array<int, 2> command{};
        if (::pipe2(report.data(), O_CLOEXEC) != 0 || ::pipe2(command.data(), O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        pid_ = ::fork();
        if (pid_ == 0) {
            // Its own ends only: the command pipe must read EOF once the
            // parent closes its end (exit_without_reaping).
            ::close(report[0]);
            ::close(command[1]);
            run_target(report[1], command[0]);
        }
        ::close(report[1]);
        ::close(command[0]);
        report_ = report[0];
        command_ = command[1];
        secret_.resize(secret_size);
        if (!read_all(&layout_, sizeof(layout_)) || !read_all(secret_.data(), secret_.size()))
            throw std::runtime_error("the target did not start");
    }
    target(const target&) = delete;
    target& operator=(const target&) = delete;
    target(target&&) = delete;
    target& operator=(target&&) = delete;
    ~target()
    {
        ::close(command_);
        ::close(report_);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] const layout& where() const { return layout_; }
    [[nodiscard]] const ms::bytes& secret() const { return secret_; }

    void unmap_doomed()
    {
        char reply = 0;
        if (::write(command_, &unmap_command, 1) != 1 || !read_all(&reply, 1))
            throw std::runtime_error("the target did not unmap");
    }
    // Exit, and stay a zombie: its /proc entry stays, its memory is gone.
    void exit_without_reaping()
    {
        ::close(command_);
        command_ = -1;
        siginfo_t info{};
        ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
    }

private:
    bool read_all(void* into, std::size_t size) const
    {
        auto* p = static_cast<char*>(into);
        while (size > 0) {
            const ssize_t n = ::read(report_, p, size);
            if (n <= 0)
                return false;
            p += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    pid_t pid_ = -1;
    int report_ = -1;
    int command_ = -1;
    layout layout_;
    ms::bytes secret_;
};

ms::options reads_of(std::size_t chunk, bool keep = false)
{
    ms::options o;
    o.chunk = chunk;
    o.keep = keep;
    return o;
}

std::set<std::uintptr_t> addresses(const std::vector<ms::hit>& hits)
{
    std::set<std::uintptr_t> out;
    for (const ms::hit& h : hits)
        out.insert(h.address);
    return out;
}

std::set<std::uintptr_t> plain_copies(const layout& l)
{
    return {l.heap, l.split, l.adjacent, l.doomed};
}

const ms::mapping_result* mapping_at(const ms::scan_result& r, std::uintptr_t address)
{
    for (const ms::mapping_result& m : r.mappings) {
        if (m.map.start <= address && address < m.map.end)
            return &m;
    }
    return nullptr;
}

TEST(Memscan, FindsEveryCopyEvenWhenSplitAcrossPageSizedReads)
{
    target t;
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan(t.pid(), needles, reads_of(page));
    EXPECT_EQ(addresses(r.hits), plain_copies(t.where()));
    EXPECT_FALSE(r.process_gone);
    ASSERT_FALSE(r.hits.empty());
    for (const ms::hit& h : r.hits) {
        const ms::mapping& m = r.mappings[h.mapping].map;
        EXPECT_TRUE(m.start <= h.address && h.address < m.end) << ms::describe(m, h.address);
        if (h.address == t.where().heap) {
            EXPECT_EQ(m.name, "[heap]");
        }
    }
}

TEST(Memscan, LargeReadsFindTheSameCopies)
{
    target t;
    const std::vector<ms::bytes> needles{t.secret()};
    for (const std::size_t chunk : {3 * page, std::size_t{1} << 20U, std::size_t{64} << 20U}) {
        const ms::scan_result r = ms::scan(t.pid(), needles, reads_of(chunk));
        EXPECT_EQ(addresses(r.hits), plain_copies(t.where())) << "chunk " << chunk;
    }
}

TEST(Memscan, CopyAcrossTwoMappingsIsReportedInTheFirst)
{
    target t;
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan(t.pid(), needles);
    const ms::mapping_result* first = mapping_at(r, t.where().adjacent);
    const ms::mapping_result* second = mapping_at(r, t.where().adjacent + secret_size - 1);
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    ASSERT_NE(first, second) << "the target's two protections did not make two mappings";
    EXPECT_EQ(first->map.end, second->map.start);
    for (const ms::hit& h : r.hits) {
        if (h.address == t.where().adjacent) {
            EXPECT_EQ(&r.mappings[h.mapping], first);
        }
    }
}

TEST(Memscan, SecretMemoryPagesAreCountedAsUnreadable)
{
    target t;
    if (t.where().secret_mem == 0)
        GTEST_SKIP() << "memfd_secret is not available here";
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan(t.pid(), needles, reads_of(page));
    const ms::mapping_result* m = mapping_at(r, t.where().secret_mem);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->pages_failed, t.where().secret_mem_pages);
    EXPECT_EQ(m->pages_read, 0U);
    EXPECT_EQ(m->first_error, EIO);
    EXPECT_FALSE(m->vanished);
    EXPECT_NE(m->map.name.find("secretmem"), std::string::npos) << m->map.name;
    // The copies in plain memory are still found: the scan went on.
    EXPECT_EQ(addresses(r.hits), plain_copies(t.where()));
    EXPECT_GE(r.pages_failed(), t.where().secret_mem_pages);
}

TEST(Memscan, VvarFailsAndTheScanGoesOn)
{
    target t;
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan(t.pid(), needles);
    const auto vvar =
        std::find_if(r.mappings.begin(), r.mappings.end(),
                     [](const ms::mapping_result& m) { return m.map.name == "[vvar]"; });
    if (vvar == r.mappings.end())
        GTEST_SKIP() << "no readable [vvar] mapping in this kernel";
    EXPECT_GT(vvar->pages_failed, 0U);
    EXPECT_EQ(vvar->pages_read, 0U);
    EXPECT_FALSE(vvar->vanished);
    const auto stack =
        std::find_if(r.mappings.begin(), r.mappings.end(),
                     [](const ms::mapping_result& m) { return m.map.name == "[stack]"; });
    ASSERT_NE(stack, r.mappings.end());
    EXPECT_GT(stack->pages_read, 0U);
    EXPECT_EQ(addresses(r.hits), plain_copies(t.where()));
}

TEST(Memscan, MappingThatVanishedIsCountedAndNamed)
{
    target t;
    const std::vector<ms::mapping> before = ms::read_maps(t.pid());
    t.unmap_doomed();
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan_mappings(t.pid(), before, needles, reads_of(page));
    const ms::mapping_result* doomed = mapping_at(r, t.where().doomed_start);
    ASSERT_NE(doomed, nullptr);
    EXPECT_EQ(doomed->pages_failed, 2U);
    EXPECT_EQ(doomed->first_error, EIO);
    EXPECT_TRUE(doomed->vanished);
    std::set<std::uintptr_t> expected = plain_copies(t.where());
    expected.erase(t.where().doomed);
    EXPECT_EQ(addresses(r.hits), expected);
    EXPECT_FALSE(r.process_gone);
}

TEST(Memscan, ProcessThatExitedMidScanIsReported)
{
    target t;
    const std::vector<ms::mapping> before = ms::read_maps(t.pid());
    t.exit_without_reaping();
    const std::vector<ms::bytes> needles{t.secret()};
    const ms::scan_result r = ms::scan_mappings(t.pid(), before, needles);
    EXPECT_TRUE(r.process_gone);
    EXPECT_TRUE(r.hits.empty());
    EXPECT_EQ(r.pages_read(), 0U);
    // Its maps are empty by now: a fresh scan finds it gone too.
    const ms::scan_result again = ms::scan(t.pid(), needles);
    EXPECT_TRUE(again.process_gone);
    EXPECT_TRUE(again.hits.empty());
}

TEST(Memscan, KeptPagesCanBeSearchedForSecretsLearnedLater)
{
    target t;
    const ms::scan_result r = ms::scan(t.pid(), {}, reads_of(page, true));
    EXPECT_TRUE(r.hits.empty());
    std::size_t kept = 0;
    for (const ms::segment& s : r.segments)
        kept += s.data.size();
    EXPECT_EQ(kept, r.pages_read() * page);
    const std::vector<ms::bytes> needles{t.secret()};
    EXPECT_EQ(addresses(r.search(needles)), plain_copies(t.where()));
}

TEST(Memscan, PartialCopiesAreFoundAndWholeCopiesAreNot)
{
    target t;
    const ms::scan_result r = ms::scan(t.pid(), {}, reads_of(ms::options().chunk, true));
    const std::vector<ms::bytes> needles{t.secret()};
    const std::vector<ms::partial> partials = r.partials(needles, 16);
    ASSERT_EQ(partials.size(), 1U);
    EXPECT_EQ(partials[0].address, t.where().partial);
    EXPECT_EQ(partials[0].offset, 8U);
    EXPECT_EQ(partials[0].length, 24U);
    EXPECT_EQ(r.partials(needles, 32).size(), 0U);
    EXPECT_THROW((void)r.partials(needles, 4), std::invalid_argument);
}

TEST(Memscan, NeedlesOfDifferentLengthsAreReportedSeparately)
{
    target t;
    const ms::bytes head(t.secret().begin(), t.secret().begin() + 8);
    const std::vector<ms::bytes> needles{t.secret(), head, ms::reversed(t.secret())};
    const ms::scan_result r = ms::scan(t.pid(), needles, reads_of(page));
    EXPECT_EQ(addresses(ms::scan_result::of(r.hits, 0)), plain_copies(t.where()));
    EXPECT_EQ(addresses(ms::scan_result::of(r.hits, 1)), plain_copies(t.where()));
    EXPECT_TRUE(ms::scan_result::of(r.hits, 2).empty());
}

TEST(Memscan, HexRoundTrip)
{
    EXPECT_EQ(ms::to_hex(ms::from_hex("de:AD be\nef")), "deadbeef");
    EXPECT_THROW((void)ms::from_hex("abc"), std::invalid_argument);
    EXPECT_THROW((void)ms::from_hex("zz"), std::invalid_argument);
    EXPECT_EQ(ms::to_hex(ms::reversed(ms::from_hex("0102"))), "0201");
}

TEST(Memscan, CommandLineReportsHitsAndExitsOne)
{
    const std::string cli = secretmem::preload_test::beside_test("secretmem-memscan");
    if (::access(cli.c_str(), X_OK) != 0)
        GTEST_SKIP() << cli << " is not built";
    target t;
    secretmem::preload_test::temp_dir dir;
    auto run = [&](const std::string& hex) {
        const int out =
            ::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        secretmem::preload_test::child c(
            {cli, "--hex", hex, "--partial", "16", std::to_string(t.pid())},
            secretmem::preload_test::clean_environment({}),
            secretmem::preload_test::spawn_options().out(out));
        ::close(out);
        // The output only once the scanner has exited: in one expression
        // the order of the two calls would be unspecified (GCC read first).
        const int status = c.wait();
        return std::make_pair(status, secretmem::preload_test::read_text(dir / "out"));
    };
    const auto [found_status, found] = run(ms::to_hex(t.secret()));
    EXPECT_EQ(secretmem::preload_test::describe_status(found_status), "exited 1") << found;
    EXPECT_NE(found.find("[heap]"), std::string::npos) << found;
    EXPECT_NE(found.find("hits=4 partials=1"), std::string::npos) << found;
    const auto [absent_status, absent] = run("00112233445566778899aabbccddeeff");
    EXPECT_EQ(secretmem::preload_test::describe_status(absent_status), "exited 0") << absent;
    EXPECT_NE(absent.find("hits=0"), std::string::npos) << absent;
}

} // namespace
