// SPDX-License-Identifier: MIT
// The openssl command under SECRETMEM_PRELOAD=explicit, caught while it
// holds a private key and its memory read as an attacker with ptrace rights
// would read it: no readable page may hold the key's secret numbers.  Each
// case runs without the preload first (the control), where the same scan
// must find the key: a scan that cannot find a key proves nothing when it
// does not.
//
// Three moments, each frozen by making openssl block in a system call:
//  - genpkey, right after generating the key, while it writes the PEM to a
//    pipe filled to capacity (stdbuf -o0: with stdio's buffering the write
//    would come at exit, after the key was freed);
//  - pkeyutl with the key loaded (and, for X25519, the peer's public key),
//    before the operation, waiting to open its output (-out), a FIFO;
//  - pkeyutl after the private-key operation, writing its result to a full
//    pipe.
#include "harness.hpp"
#include "keys.hpp"
#include "memscan.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <sys/random.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ms = secretmem::memscan;
namespace pt = secretmem::preload_test;

namespace {

// Generous: under TCG in the VM openssl runs tens of times slower.  The
// waits end as soon as openssl blocks.
constexpr std::chrono::seconds patience{180};
constexpr std::size_t partial_width = 16;

enum class operation { sign, sign_raw, derive };

struct algorithm {
    const char* name;
    std::vector<std::string> genpkey;
    operation op;
};

std::ostream& operator<<(std::ostream& out, const algorithm& a)
{
    return out << a.name;
}

// What one frozen run left in memory, and whether it did its job.
struct frozen_run {
    std::string label;
    std::vector<pt::secret_part> parts;
    ms::scan_result scan;
    std::vector<ms::hit> hits;
    std::vector<ms::partial> partials;
    int status = 0;
    std::string stderr_text;
    std::string output_problem; // empty when openssl's output checked out
};

bool is_vdso_like(const ms::mapping& m)
{
    return m.name == "[vvar]" || m.name == "[vvar_vclock]" || m.name == "[vsyscall]";
}

std::size_t unreadable_outside_vdso(const ms::scan_result& r)
{
    std::size_t pages = 0;
    for (const ms::mapping_result& m : r.mappings) {
        if (!is_vdso_like(m.map))
            pages += m.pages_failed;
    }
    return pages;
}

// Up to `before` bytes in front of `address` from the kept pages: a DER
// header there (04 20: an octet string of 32 bytes) names the structure.
std::string bytes_before(const ms::scan_result& r, std::uintptr_t address, std::size_t before)
{
    for (const ms::segment& s : r.segments) {
        if (s.address <= address && address < s.address + s.data.size()) {
            const std::size_t at = address - s.address;
            const std::size_t from = at > before ? at - before : 0;
            return ms::to_hex(std::span<const std::byte>(s.data).subspan(from, at - from));
        }
    }
    return "?";
}

std::string describe_hits(const frozen_run& run)
{
    std::ostringstream out;
    for (const ms::hit& h : run.hits) {
        out << "  " << run.parts[h.needle].name << " at 0x" << std::hex << h.address << std::dec
            << ": " << ms::describe(run.scan.mappings[h.mapping].map, h.address)
            << "; the 24 bytes before: " << bytes_before(run.scan, h.address, 24) << "\n";
    }
    for (const ms::partial& p : run.partials) {
        out << "  partial: bytes " << p.offset << "-" << p.offset + p.length << " of "
            << run.parts[p.needle].name << " at 0x" << std::hex << p.address << std::dec << ": "
            << ms::describe(run.scan.mappings[p.mapping].map, p.address) << "\n";
    }
    return out.str();
}

// One line per run in the test log: what the scan measured.
void log_scan(const frozen_run& run)
{
    std::size_t bytes = 0;
    for (const ms::segment& s : run.scan.segments)
        bytes += s.data.size();
    std::cout << "[" << run.label << "] scanned " << run.scan.mappings.size()
              << " readable mappings: " << run.scan.pages_read() << " pages read (" << bytes / 1024
              << " KiB), " << run.scan.pages_failed() << " unreadable ("
              << unreadable_outside_vdso(run.scan) << " outside [vvar]); " << run.hits.size()
              << " copies of key material, " << run.partials.size() << " partial copies of "
              << partial_width << "+ bytes\n"
              << describe_hits(run);
    if (const auto r = pt::find_report(run.stderr_text))
        std::cout << "[" << run.label << "] " << r->line << "\n";
    std::cout.flush();
}

ms::options keep_pages()
{
    ms::options o;
    o.keep = true;
    return o;
}

void search(frozen_run& run)
{
    const std::vector<ms::bytes> needles = pt::needles(run.parts);
    run.hits = run.scan.search(needles);
    run.partials = run.scan.partials(needles, partial_width);
}

class OpenSSLKey : public testing::TestWithParam<algorithm> {
protected:
    void SetUp() override
    {
        openssl_ = pt::find_program({"openssl"});
        stdbuf_ = pt::find_program({"stdbuf"});
        if (openssl_.empty() || stdbuf_.empty())
            GTEST_SKIP() << "needs openssl and stdbuf (coreutils) in PATH";
    }

    void require_preload()
    {
        if (const auto why = pt::preload_unavailable())
            GTEST_SKIP() << *why;
    }

    std::vector<std::string> env(bool preload) const
    {
        return pt::clean_environment(preload ? pt::preload_env("explicit")
                                             : std::map<std::string, std::string>{});
    }

    // openssl, without the preload, for the keys the pkeyutl cases use.
    void openssl(const std::vector<std::string>& args)
    {
        std::vector<std::string> argv{openssl_};
        argv.insert(argv.end(), args.begin(), args.end());
        pt::child c(argv, env(false), pt::spawn_options().err(dir_ / "setup.err"));
        ASSERT_EQ(pt::describe_status(c.wait()), "exited 0") << pt::read_text(dir_ / "setup.err");
    }

    void make_keys()
    {
        std::vector<std::string> args{"genpkey", "-out", (dir_ / "key.pem").string()};
        args.insert(args.end(), GetParam().genpkey.begin(), GetParam().genpkey.end());
        ASSERT_NO_FATAL_FAILURE(openssl(args));
        pem_ = pt::read_text(dir_ / "key.pem");
        if (GetParam().op == operation::derive) {
            ASSERT_NO_FATAL_FAILURE(
                openssl({"genpkey", "-algorithm", "X25519", "-out", (dir_ / "peer.pem").string()}));
            ASSERT_NO_FATAL_FAILURE(openssl({"pkey", "-in", (dir_ / "peer.pem").string(), "-pubout",
                                             "-out", (dir_ / "peer.pub").string()}));
            peer_pub_ = pt::read_text(dir_ / "peer.pub");
        }
        message_.resize(32);
        ASSERT_EQ(::getrandom(message_.data(), message_.size(), 0), 32);
    }

    // "pkeyutl -sign -inkey key.pem" and the like, less the input.
    std::vector<std::string> pkeyutl_args() const
    {
        std::vector<std::string> args{openssl_, "pkeyutl", "-inkey", (dir_ / "key.pem").string()};
        switch (GetParam().op) {
        case operation::sign:
            args.emplace_back("-sign");
            break;
        case operation::sign_raw:
            args.insert(args.end(), {"-sign", "-rawin"});
            break;
        case operation::derive:
            args.emplace_back("-derive");
            break;
        }
        return args;
    }

    // The input pkeyutl waits for: the message, or the peer's public key.
    [[nodiscard]] const std::string& pkeyutl_input() const
    {
        return GetParam().op == operation::derive ? peer_pub_ : message_;
    }

    std::string check_pkeyutl_output(const std::string& output) const
    {
        if (GetParam().op == operation::derive)
            return output == pt::derive(pem_, peer_pub_) ? "" : "the derived secret is wrong";
        return pt::signature_verifies(pem_, message_, output, GetParam().op == operation::sign_raw)
                   ? ""
                   : "the signature does not verify";
    }

    frozen_run genpkey(bool preload)
    {
        frozen_run run;
        run.label = std::string("genpkey ") + GetParam().name + (preload ? " preload" : " control");
        std::vector<std::string> argv{stdbuf_, "-o0", openssl_, "genpkey"};
        argv.insert(argv.end(), GetParam().genpkey.begin(), GetParam().genpkey.end());
        pt::full_pipe out;
        pt::child c(argv, env(preload),
                    pt::spawn_options().out(out.write_end()).err(dir_ / "stderr"));
        out.close_write();
        if (!c.wait_blocked(1, out.fd_target(), patience)) {
            ADD_FAILURE() << "openssl genpkey never blocked writing the key ("
                          << (c.exited() ? pt::describe_status(c.wait()) : "still running")
                          << "): " << pt::read_text(dir_ / "stderr");
            return run;
        }
        // The key is only known once it is written: keep the pages, search later.
        run.scan = ms::scan(c.pid(), {}, keep_pages());
        const std::string pem = out.drain();
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        try {
            run.parts = pt::secret_parts(pem);
        } catch (const std::exception& e) {
            run.output_problem = e.what();
            return run;
        }
        search(run);
        return run;
    }

    frozen_run pkeyutl_holding_key(bool preload)
    {
        frozen_run run;
        run.label = std::string("pkeyutl holding key ") + GetParam().name +
                    (preload ? " preload" : " control");
        run.parts = pt::secret_parts(pem_);
        pt::write_text(dir_ / "input", pkeyutl_input());
        const std::filesystem::path fifo = dir_ / "output.fifo";
        if (::mkfifo(fifo.c_str(), 0600) != 0) {
            ADD_FAILURE() << "mkfifo: " << std::strerror(errno);
            return run;
        }
        std::vector<std::string> argv = pkeyutl_args();
        argv.insert(argv.end(), {GetParam().op == operation::derive ? "-peerkey" : "-in",
                                 (dir_ / "input").string(), "-out", fifo.string()});
        pt::child c(argv, env(preload), pt::spawn_options().err(dir_ / "stderr"));
        // pkeyutl opens its output after loading the key and before the
        // operation; opening a FIFO for writing waits for a reader.
        if (!c.wait_opening(fifo, patience)) {
            ADD_FAILURE() << "openssl pkeyutl never blocked opening " << fifo << " ("
                          << (c.exited() ? pt::describe_status(c.wait()) : "still running")
                          << "): " << pt::read_text(dir_ / "stderr");
            return run;
        }
        run.scan = ms::scan(c.pid(), {}, keep_pages());
        const std::string output = pt::read_text(fifo);
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        run.output_problem = check_pkeyutl_output(output);
        search(run);
        return run;
    }

    frozen_run pkeyutl_after_operation(bool preload)
    {
        frozen_run run;
        run.label = std::string("pkeyutl after ") +
                    (GetParam().op == operation::derive ? "derive " : "sign ") + GetParam().name +
                    (preload ? " preload" : " control");
        run.parts = pt::secret_parts(pem_);
        pt::write_text(dir_ / "input", pkeyutl_input());
        std::vector<std::string> argv{stdbuf_, "-o0"};
        const std::vector<std::string> rest = pkeyutl_args();
        argv.insert(argv.end(), rest.begin(), rest.end());
        argv.insert(argv.end(), {GetParam().op == operation::derive ? "-peerkey" : "-in",
                                 (dir_ / "input").string()});
        pt::full_pipe out;
        pt::child c(argv, env(preload),
                    pt::spawn_options().out(out.write_end()).err(dir_ / "stderr"));
        out.close_write();
        if (!c.wait_blocked(1, out.fd_target(), patience)) {
            ADD_FAILURE() << "openssl pkeyutl never blocked writing its result ("
                          << (c.exited() ? pt::describe_status(c.wait()) : "still running")
                          << "): " << pt::read_text(dir_ / "stderr");
            return run;
        }
        run.scan = ms::scan(c.pid(), {}, keep_pages());
        const std::string output = out.drain();
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        run.output_problem = check_pkeyutl_output(output);
        search(run);
        return run;
    }

    // Without the preload the key is in ordinary memory: every secret number
    // must be found, in one byte order or the other.
    static void expect_found(const frozen_run& run)
    {
        log_scan(run);
        EXPECT_EQ(pt::describe_status(run.status), "exited 0") << run.stderr_text;
        EXPECT_EQ(run.output_problem, "");
        ASSERT_FALSE(run.parts.empty());
        EXPECT_FALSE(run.scan.process_gone);
        for (const pt::secret_part& part : run.parts) {
            bool found = false;
            for (const ms::hit& h : run.hits)
                found = found || run.parts[h.needle].component == part.component;
            EXPECT_TRUE(found) << part.component
                               << " is in no readable page even without the preload: the "
                                  "scan, or the moment it was taken, is broken";
        }
    }

    // Under the preload: no readable page holds any of it, the secret heap
    // was used, and its pages are among those the scan could not read.
    static void expect_hidden(const frozen_run& run)
    {
        log_scan(run);
        EXPECT_EQ(pt::describe_status(run.status), "exited 0") << run.stderr_text;
        EXPECT_EQ(run.output_problem, "");
        ASSERT_FALSE(run.parts.empty());
        EXPECT_FALSE(run.scan.process_gone);
        EXPECT_TRUE(run.hits.empty())
            << run.hits.size() << " copies of key material in readable memory:\n"
            << describe_hits(run);
        EXPECT_GT(unreadable_outside_vdso(run.scan), 0U)
            << "no page outside [vvar] refused the read: where is the secret heap?";
        const auto report = pt::find_report(run.stderr_text);
        ASSERT_TRUE(report) << "no secretmem-preload report on stderr:\n" << run.stderr_text;
        EXPECT_EQ(report->text("mode"), "explicit") << report->line;
        pt::expect_secret_backend(*report);
        EXPECT_GT(report->number("mapped"), 0) << report->line;
        EXPECT_GT(report->number("secure_heap_allocs"), 0) << report->line;
        EXPECT_GT(report->number("secure_heap_peak"), 0) << report->line;
        // The copies OpenSSL makes as it decodes and encodes keys are in
        // its ordinary heap: that must be secret too.
        EXPECT_EQ(report->text("openssl_heap"), "secret") << report->line;
        EXPECT_GT(report->number("openssl_heap_peak"), 0) << report->line;
    }

    pt::temp_dir dir_;
    std::string openssl_;
    std::string stdbuf_;
    std::string pem_;
    std::string peer_pub_;
    std::string message_;
};

TEST_P(OpenSSLKey, GenpkeyControlLeavesKeyReadable)
{
    expect_found(genpkey(false));
}

TEST_P(OpenSSLKey, GenpkeyPreloadHidesKey)
{
    require_preload();
    expect_hidden(genpkey(true));
}

TEST_P(OpenSSLKey, PkeyutlHoldingKeyControlLeavesKeyReadable)
{
    ASSERT_NO_FATAL_FAILURE(make_keys());
    expect_found(pkeyutl_holding_key(false));
}

TEST_P(OpenSSLKey, PkeyutlHoldingKeyPreloadHidesKey)
{
    require_preload();
    ASSERT_NO_FATAL_FAILURE(make_keys());
    expect_hidden(pkeyutl_holding_key(true));
}

TEST_P(OpenSSLKey, PkeyutlAfterOperationControlLeavesKeyReadable)
{
    ASSERT_NO_FATAL_FAILURE(make_keys());
    expect_found(pkeyutl_after_operation(false));
}

TEST_P(OpenSSLKey, PkeyutlAfterOperationPreloadHidesKey)
{
    require_preload();
    ASSERT_NO_FATAL_FAILURE(make_keys());
    expect_hidden(pkeyutl_after_operation(true));
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, OpenSSLKey,
    testing::Values(algorithm{"EC_P256",
                              {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"},
                              operation::sign},
                    algorithm{"X25519", {"-algorithm", "X25519"}, operation::derive},
                    algorithm{"Ed25519", {"-algorithm", "ED25519"}, operation::sign_raw},
                    algorithm{"RSA2048",
                              {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"},
                              operation::sign}),
    [](const testing::TestParamInfo<algorithm>& info) { return std::string(info.param.name); });

} // namespace
