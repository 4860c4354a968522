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
#include "frozen_run.hpp"
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

    pt::frozen_run genpkey(bool preload)
    {
        pt::frozen_run run;
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
        run.scan = ms::scan(c.pid(), {}, pt::keep_pages());
        const std::string pem = out.drain();
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        try {
            run.parts = pt::secret_parts(pem);
        } catch (const std::exception& e) {
            run.output_problem = e.what();
            return run;
        }
        pt::search(run);
        return run;
    }

    pt::frozen_run pkeyutl_holding_key(bool preload)
    {
        pt::frozen_run run;
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
        run.scan = ms::scan(c.pid(), {}, pt::keep_pages());
        const std::string output = pt::read_text(fifo);
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        run.output_problem = check_pkeyutl_output(output);
        pt::search(run);
        return run;
    }

    pt::frozen_run pkeyutl_after_operation(bool preload)
    {
        pt::frozen_run run;
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
        run.scan = ms::scan(c.pid(), {}, pt::keep_pages());
        const std::string output = out.drain();
        run.status = c.wait();
        run.stderr_text = pt::read_text(dir_ / "stderr");
        run.output_problem = check_pkeyutl_output(output);
        pt::search(run);
        return run;
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
    pt::expect_found(genpkey(false));
}

TEST_P(OpenSSLKey, GenpkeyPreloadHidesKey)
{
    require_preload();
    pt::expect_hidden(genpkey(true), "explicit");
}

TEST_P(OpenSSLKey, PkeyutlHoldingKeyControlLeavesKeyReadable)
{
    ASSERT_NO_FATAL_FAILURE(make_keys());
    pt::expect_found(pkeyutl_holding_key(false));
}

TEST_P(OpenSSLKey, PkeyutlHoldingKeyPreloadHidesKey)
{
    require_preload();
    ASSERT_NO_FATAL_FAILURE(make_keys());
    pt::expect_hidden(pkeyutl_holding_key(true), "explicit");
}

TEST_P(OpenSSLKey, PkeyutlAfterOperationControlLeavesKeyReadable)
{
    ASSERT_NO_FATAL_FAILURE(make_keys());
    pt::expect_found(pkeyutl_after_operation(false));
}

TEST_P(OpenSSLKey, PkeyutlAfterOperationPreloadHidesKey)
{
    require_preload();
    ASSERT_NO_FATAL_FAILURE(make_keys());
    pt::expect_hidden(pkeyutl_after_operation(true), "explicit");
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
