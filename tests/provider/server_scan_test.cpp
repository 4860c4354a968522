// SPDX-License-Identifier: MIT
// A TLS server holding its private key, its memory read as an attacker
// with ptrace rights would read it (tests/memscan/memscan.hpp).
//
// openssl s_server loads the key, serves one s_client handshake (the key
// signs), and is caught idle in accept() waiting for the next client: the
// moment a long-running server spends its life in.  The control serves
// the key file with the default provider alone, and the scan must find the
// key there; with the secretmem provider (-key secretmem:KEY) under
// libsecretmem-preload.so no readable page may hold any of the key's
// secret numbers.
#include <frozen_run.hpp>
#include <harness.hpp>
#include <keys.hpp>
#include <memscan.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <random>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ms = secretmem::memscan;
namespace pt = secretmem::preload_test;

namespace {

// Generous: under TCG in the VM openssl runs tens of times slower.
constexpr std::chrono::seconds patience{180};

struct server_key {
    const char* name;
    std::vector<std::string> genpkey;
};

std::ostream& operator<<(std::ostream& out, const server_key& k)
{
    return out << k.name;
}

class ServerScan : public testing::TestWithParam<server_key> {
protected:
    void SetUp() override
    {
        openssl_ = pt::find_program({"openssl"});
        if (openssl_.empty())
            GTEST_SKIP() << "needs openssl in PATH";
        const char* dir = std::getenv("SECRETMEM_TEST_PROVIDER_DIR");
        ASSERT_NE(dir, nullptr) << "SECRETMEM_TEST_PROVIDER_DIR: where secretmem.so is";
        module_dir_ = dir;
        std::vector<std::string> args{"genpkey", "-out", key_path()};
        args.insert(args.end(), GetParam().genpkey.begin(), GetParam().genpkey.end());
        ASSERT_NO_FATAL_FAILURE(openssl(args));
        ASSERT_NO_FATAL_FAILURE(openssl({"req", "-x509", "-new", "-key", key_path(), "-subj",
                                         "/CN=localhost", "-days", "1", "-out", cert_path()}));
        pem_ = pt::read_text(key_path());
        pt::write_text(dir_ / "request", "GET / HTTP/1.0\r\n\r\n");
    }

    [[nodiscard]] std::string key_path() const { return (dir_ / "key.pem").string(); }
    [[nodiscard]] std::string cert_path() const { return (dir_ / "cert.pem").string(); }

    void openssl(const std::vector<std::string>& args)
    {
        std::vector<std::string> argv{openssl_};
        argv.insert(argv.end(), args.begin(), args.end());
        pt::child c(argv, pt::clean_environment({}), pt::spawn_options().err(dir_ / "setup.err"));
        ASSERT_EQ(pt::describe_status(c.wait()), "exited 0") << pt::read_text(dir_ / "setup.err");
    }

    // One s_client handshake and request: the server's key signs.
    [[nodiscard]] std::string client(int port)
    {
        const int in = ::open((dir_ / "request").c_str(), O_RDONLY | O_CLOEXEC);
        pt::child c({openssl_, "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                     "-CAfile", cert_path(), "-verify_return_error", "-quiet"},
                    pt::clean_environment({}), pt::spawn_options().in(in).err(dir_ / "client.err"));
        const int status = c.wait();
        ::close(in);
        return pt::describe_status(status) + ": " + pt::read_text(dir_ / "client.err");
    }

    pt::frozen_run serve(bool protect)
    {
        pt::frozen_run run;
        run.label = std::string("s_server ") + GetParam().name +
                    (protect ? " secretmem provider" : " control");
        run.parts = pt::secret_parts(pem_);
        std::mt19937 random(std::random_device{}());
        for (int attempt = 0; attempt < 5; ++attempt) {
            const int port = 20000 + static_cast<int>(random() % 30000);
            std::vector<std::string> argv{openssl_, "s_server"};
            if (protect) {
                argv.insert(argv.end(),
                            {"-provider-path", module_dir_, "-provider", "secretmem", "-provider",
                             "default", "-key", "secretmem:" + key_path()});
            } else {
                argv.insert(argv.end(), {"-key", key_path()});
            }
            argv.insert(argv.end(), {"-cert", cert_path(), "-accept",
                                     "127.0.0.1:" + std::to_string(port), "-naccept", "2", "-www"});
            const int out = ::open((dir_ / "server.out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            pt::child server(argv,
                             pt::clean_environment(protect ? pt::preload_env("explicit")
                                                           : std::map<std::string, std::string>{}),
                             pt::spawn_options().out(out).err(dir_ / "server.err"));
            ::close(out);
            if (!wait_listening(server)) {
                if (server.exited() &&
                    pt::read_text(dir_ / "server.err").find("Address already in use") !=
                        std::string::npos)
                    continue;
                ADD_FAILURE() << "s_server did not start: " << pt::read_text(dir_ / "server.err");
                return run;
            }
            const std::string first = client(port);
            if (!first.starts_with("exited 0")) {
                ADD_FAILURE() << "s_client failed: " << first << pt::read_text(dir_ / "server.err");
                return run;
            }
            if (!server.wait_sleeping({SYS_accept, SYS_accept4, SYS_select, SYS_pselect6, SYS_poll},
                                      patience)) {
                ADD_FAILURE() << "s_server never went idle after the handshake";
                return run;
            }
            run.scan = ms::scan(server.pid(), {}, pt::keep_pages());
            const std::string second = client(port); // the last: the server exits
            run.status = server.wait();
            run.stderr_text = pt::read_text(dir_ / "server.err");
            run.output_problem = second.starts_with("exited 0") ? "" : "s_client: " + second;
            pt::search(run);
            return run;
        }
        ADD_FAILURE() << "no free port for s_server in 5 tries";
        return run;
    }

    bool wait_listening(pt::child& server)
    {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pt::read_text(dir_ / "server.out").find("ACCEPT") != std::string::npos)
                return true;
            if (server.exited())
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    pt::temp_dir dir_;
    std::string openssl_;
    std::string module_dir_;
    std::string pem_;
};

TEST_P(ServerScan, ControlServerLeavesKeyReadable)
{
    const pt::frozen_run run = serve(false);
    pt::expect_found(run);
}

TEST_P(ServerScan, ProviderServerHidesKey)
{
    if (const auto why = pt::preload_unavailable())
        GTEST_SKIP() << *why;
    const pt::frozen_run run = serve(true);
    pt::expect_hidden(run, "explicit");
}

INSTANTIATE_TEST_SUITE_P(
    Keys, ServerScan,
    testing::Values(
        server_key{"EC_P256", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}},
        server_key{"RSA2048", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}},
        server_key{"Ed25519", {"-algorithm", "ED25519"}}),
    [](const testing::TestParamInfo<server_key>& info) { return std::string(info.param.name); });

} // namespace
