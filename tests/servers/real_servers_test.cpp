// SPDX-License-Identifier: MIT
// Real servers, switched over as docs/provider.md tells an administrator:
// the preload shim (LD_PRELOAD) and the provider's configuration
// (OPENSSL_CONF=secretmem.cnf), nothing else changed.  For each server
// (tls_servers.hpp) and each kind of key:
//
//  - HTTPS requests reach every worker and succeed (TLS 1.3, X25519 key
//    exchange: curl's defaults);
//  - an attacker with root's rights reads every process of the server
//    through /proc/PID/mem and finds none of the private key's secret
//    numbers, big- or little-endian;
//  - after a reload (new workers, the key loaded again) the same holds;
//  - nothing crashed: no worker died of a signal.
//
// The same server without secretmem is the control: the scan must find the
// key in every one of its processes, or it proves nothing.
#include "tls_servers.hpp"

#include <harness.hpp>
#include <keys.hpp>
#include <memscan.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace secretmem::server_test {
namespace {

namespace fs = std::filesystem;
namespace ms = memscan;
namespace pt = preload_test;
using namespace std::chrono_literals;

// Generous: in the VM under TCG a TLS handshake takes a second or more.
constexpr std::chrono::seconds patience{180};
constexpr int request_rounds = 20;

struct key_type {
    const char* name;
    std::vector<std::string> genpkey;
};

const std::vector<key_type>& all_keys()
{
    static const std::vector<key_type> keys = {
        {"EC_P256", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}},
        {"RSA2048", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}},
        {"Ed25519", {"-algorithm", "ED25519"}},
    };
    return keys;
}

// A port no one listens on now.
int free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0)
        ::close(fd);
    return port;
}

// The parent of `pid`, or 0 when it is gone or a zombie.  By read(2): a
// process that exits while it is read fails the read (ESRCH), which a
// stream would throw for.
pid_t parent_of(pid_t pid)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    std::array<char, 1024> buffer{};
    const ssize_t n = ::read(fd, buffer.data(), buffer.size() - 1);
    ::close(fd);
    if (n <= 0)
        return 0;
    const std::string text(buffer.data(), static_cast<std::size_t>(n));
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos)
        return 0;
    std::istringstream rest(text.substr(paren + 2));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    return state == "Z" ? 0 : parent;
}

// The processes below `root` (its workers, theirs...), not counting it.
std::vector<pid_t> descendants(pid_t root)
{
    std::map<pid_t, pid_t> parents;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
            const auto pid = static_cast<pid_t>(std::stol(name));
            parents[pid] = parent_of(pid);
        }
    }
    std::vector<pid_t> found;
    for (const auto& [pid, parent] : parents) {
        for (pid_t up = parent; up > 1; up = parents.contains(up) ? parents[up] : 0) {
            if (up == root) {
                found.push_back(pid);
                break;
            }
        }
    }
    return found;
}

std::string join(const std::set<pid_t>& pids)
{
    std::string text;
    for (const pid_t p : pids)
        text += (text.empty() ? "" : " ") + std::to_string(p);
    return text;
}

// What a process that should have gone is doing, for the failure message:
// each thread's state, wait channel, system call and kernel stack, and,
// where gdb is installed, its user-space stacks.
std::string describe_stuck(pid_t pid, const fs::path& scratch)
{
    std::string text = "\n--- process " + std::to_string(pid) + " still runs:";
    const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(tasks, ec)) {
        const auto field = [&](const char* name) {
            std::string value = pt::read_text(task.path() / name);
            while (!value.empty() && value.back() == '\n')
                value.pop_back();
            return value;
        };
        text += "\nthread " + task.path().filename().string() + " (" + field("comm") + "): wchan " +
                field("wchan") + ", syscall " + field("syscall") + "\n" + field("stack");
    }
    const fs::path gdb = "/usr/bin/gdb";
    if (fs::exists(gdb)) {
        const fs::path out = scratch / ("gdb-" + std::to_string(pid) + ".txt");
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        pt::child trace(
            {gdb.string(), "-p", std::to_string(pid), "-batch", "-ex", "thread apply all bt"},
            pt::clean_environment({}), pt::spawn_options().out(fd));
        (void)trace.wait();
        if (fd >= 0)
            ::close(fd);
        text += "\n" + pt::read_text(out);
    }
    return text;
}

} // namespace

// For gtest's messages: the name, not the bytes.
void PrintTo(const server_spec& s, std::ostream* out)
{
    *out << s.name;
}

namespace {

void PrintTo(const key_type& k, std::ostream* out)
{
    *out << k.name;
}

using param = std::tuple<server_spec, key_type>;

class RealServer : public testing::TestWithParam<param> {
protected:
    void SetUp() override
    {
        const server_spec& s = server();
        program_ = pt::find_program(s.programs);
        ASSERT_FALSE(program_.empty()) << s.name << " is not installed (make deps installs it)";
        openssl_ = pt::find_program({"openssl"});
        curl_ = pt::find_program({"/usr/bin/curl", "curl"});
        ASSERT_FALSE(openssl_.empty() || curl_.empty()) << "needs openssl and curl";
        tls_ = {dir_ / "cert.pem", dir_ / "key.pem", dir_ / "combined.pem"};
        std::vector<std::string> args{"genpkey", "-out", tls_.key.string()};
        args.insert(args.end(), key().genpkey.begin(), key().genpkey.end());
        ASSERT_NO_FATAL_FAILURE(openssl(args));
        ASSERT_NO_FATAL_FAILURE(
            openssl({"req", "-x509", "-new", "-key", tls_.key.string(), "-subj", "/CN=localhost",
                     "-days", "2", "-out", tls_.cert.string()}));
        const std::string pem = pt::read_text(tls_.key);
        pt::write_text(tls_.combined, pt::read_text(tls_.cert) + pem);
        parts_ = pt::secret_parts(pem);
        needles_ = pt::needles(parts_);
    }

    [[nodiscard]] const server_spec& server() const { return std::get<0>(GetParam()); }
    [[nodiscard]] const key_type& key() const { return std::get<1>(GetParam()); }

    void openssl(const std::vector<std::string>& args)
    {
        std::vector<std::string> argv{openssl_};
        argv.insert(argv.end(), args.begin(), args.end());
        pt::child c(argv, environment(false), pt::spawn_options().err(dir_ / "setup.err"));
        ASSERT_EQ(pt::describe_status(c.wait()), "exited 0") << pt::read_text(dir_ / "setup.err");
    }

    // What an administrator switching the server over sets, and nothing
    // else; the control runs with neither (nor any OPENSSL_CONF of ours).
    // `preload` false: the provider's configuration alone, the mistake.
    [[nodiscard]] std::vector<std::string> environment(bool protect, bool preload = true) const
    {
        std::map<std::string, std::string> add;
        if (protect)
            add = {{"OPENSSL_CONF", provider_configuration().string()}};
        if (protect && preload)
            add["LD_PRELOAD"] = pt::preload_library().string();
        std::vector<std::string> env = pt::clean_environment(add);
        std::erase_if(
            env, [&](const std::string& e) { return !protect && e.starts_with("OPENSSL_CONF="); });
        return env;
    }

    // The installed secretmem.cnf, naming the module this build made, with
    // `ordinary-heap = allow` when `ordinary_heap_allowed`.
    [[nodiscard]] fs::path provider_configuration() const
    {
        fs::path written = dir_ / "secretmem.cnf";
        if (fs::exists(written))
            return written;
        const char* module_dir = std::getenv("SECRETMEM_TEST_PROVIDER_DIR");
        if (module_dir == nullptr)
            throw std::runtime_error("SECRETMEM_TEST_PROVIDER_DIR: where secretmem.so is");
        std::istringstream in(pt::read_text(fs::path(module_dir) / "secretmem.cnf"));
        std::ostringstream out;
        std::string line;
        while (std::getline(in, line)) {
            if (line.starts_with("module = "))
                line = "module = " + (fs::path(module_dir) / "secretmem.so").string();
            if (line.starts_with("ordinary-heap = ") && ordinary_heap_allowed_)
                line = "ordinary-heap = allow";
            out << line << '\n';
        }
        pt::write_text(written, out.str());
        return written;
    }

    // One round of HTTPS requests at once, one more than there are workers,
    // so that a busy worker leaves the next connection to another; each
    // response body is kept.
    void request_round(int port, std::vector<std::string>& bodies, std::string& failure)
    {
        const unsigned count = std::max(1U, server().workers + 1);
        std::vector<std::unique_ptr<pt::child>> clients;
        std::vector<fs::path> outputs;
        for (unsigned i = 0; i < count; ++i) {
            outputs.push_back(dir_ / ("response" + std::to_string(i)));
            fs::remove(outputs.back());
            clients.push_back(std::make_unique<pt::child>(
                std::vector<std::string>{curl_, "-sS", "-k", "--http1.1", "--max-time", "120", "-o",
                                         outputs.back().string(),
                                         "https://127.0.0.1:" + std::to_string(port) + "/"},
                environment(false), pt::spawn_options().err(dir_ / ("curl" + std::to_string(i)))));
        }
        for (unsigned i = 0; i < count; ++i) {
            const std::string status = pt::describe_status(clients[i]->wait());
            if (status != "exited 0") {
                failure =
                    "curl " + status + ": " + pt::read_text(dir_ / ("curl" + std::to_string(i)));
            } else {
                bodies.push_back(pt::read_text(outputs[i]));
            }
        }
    }

    // Until a request succeeds, or the server gave up.
    bool wait_serving(pt::child& main, int port, std::string& failure)
    {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (std::chrono::steady_clock::now() < deadline) {
            if (main.exited()) {
                failure = "it exited";
                return false;
            }
            const unsigned workers = static_cast<unsigned>(descendants(main.pid()).size());
            pt::child probe({curl_, "-sS", "-k", "--http1.1", "--max-time", "60", "-o", "/dev/null",
                             "https://127.0.0.1:" + std::to_string(port) + "/"},
                            environment(false), pt::spawn_options().err(dir_ / "probe.err"));
            if (pt::describe_status(probe.wait()) == "exited 0" && workers >= server().workers)
                return true;
            failure = pt::read_text(dir_ / "probe.err");
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    // Requests until every worker has served one.
    void serve_every_worker(pt::child& main, int port, const std::string& when)
    {
        std::set<pid_t> workers;
        for (const pid_t p : descendants(main.pid()))
            workers.insert(p);
        if (server().workers == 0)
            workers.insert(main.pid());
        std::vector<std::string> bodies;
        std::set<pid_t> served;
        std::string failure;
        for (int round = 0; round < request_rounds; ++round) {
            request_round(port, bodies, failure);
            ASSERT_TRUE(failure.empty()) << when << ": a request failed: " << failure << logs();
            served = server().served_by(bodies, dir_.path());
            if (std::includes(served.begin(), served.end(), workers.begin(), workers.end()))
                return;
        }
        ADD_FAILURE() << when << ": " << bodies.size() << " requests reached workers "
                      << join(served) << " of " << join(workers);
    }

    // The processes' memory, read as an attacker: pid -> hits.
    std::map<pid_t, std::vector<std::string>> scan_all(pid_t main)
    {
        std::vector<pid_t> pids = descendants(main);
        pids.insert(pids.begin(), main);
        std::map<pid_t, std::vector<std::string>> found;
        for (const pid_t pid : pids) {
            const ms::scan_result result = ms::scan(pid, needles_);
            EXPECT_FALSE(result.process_gone) << "process " << pid << " went away during the scan";
            EXPECT_GT(result.pages_read(), 0U) << "nothing of process " << pid << " was read";
            auto& where = found[pid];
            for (const ms::hit& h : result.hits) {
                where.push_back(parts_.at(h.needle).name + " at " +
                                ms::describe(result.mappings.at(h.mapping).map, h.address));
            }
        }
        return found;
    }

    void expect_scan(pid_t main, bool protect, const std::string& when)
    {
        const auto found = scan_all(main);
        for (const auto& [pid, hits] : found) {
            const std::string who =
                when + ", " + (pid == main ? "main process " : "worker ") + std::to_string(pid);
            if (protect) {
                EXPECT_TRUE(hits.empty()) << who << " holds the key readable: " << hits.front()
                                          << " (" << hits.size() << " copies)";
            } else if (pid != main || server().main_keeps_key) {
                EXPECT_FALSE(hits.empty())
                    << who << ": the control's key was not found, so the scan proves nothing";
            }
        }
    }

    [[nodiscard]] std::string logs() const
    {
        std::string text = "\n--- server stderr:\n" + pt::read_text(dir_ / "server.err");
        if (fs::exists(dir_ / "error.log"))
            text += "\n--- error.log:\n" + pt::read_text(dir_ / "error.log");
        return text;
    }

    // A worker that died of a signal shows in the server's own log, and a
    // child that could not get its copy of the secrets, or a shim that had
    // to refuse something, on its stderr.
    void expect_no_crash()
    {
        std::string text = pt::read_text(dir_ / "server.err");
        if (fs::exists(dir_ / "error.log"))
            text += pt::read_text(dir_ / "error.log");
        for (const char* crash :
             {"exited on signal", "exit signal", "Segmentation fault", "SIGSEGV", "SIGABRT",
              "core dumped", "secretmem: a forked child", "secretmem-preload:"}) {
            EXPECT_EQ(text.find(crash), std::string::npos)
                << "the server's log says '" << crash << "':" << logs();
        }
    }

    void run(bool protect)
    {
        const std::string label = std::string(protect ? "with secretmem" : "control");
        const int port = free_port();
        ASSERT_GT(port, 0);
        pt::child main(server().command(program_, dir_.path(), port, tls_), environment(protect),
                       pt::spawn_options().err(dir_ / "server.err").session());
        // However the test ends, no worker outlives it (the server has a
        // session, and so a process group, of its own).
        const std::unique_ptr<pt::child, void (*)(pt::child*)> group(
            &main, [](pt::child* c) { (void)::kill(-c->pid(), SIGKILL); });
        std::string failure;
        ASSERT_TRUE(wait_serving(main, port, failure))
            << label << ": " << server().name << " did not serve: " << failure << logs();
        ASSERT_NO_FATAL_FAILURE(serve_every_worker(main, port, label));
        expect_scan(main.pid(), protect, label);
        if (server().reload_signal != 0) {
            std::set<pid_t> before;
            for (const pid_t p : descendants(main.pid()))
                before.insert(p);
            ASSERT_EQ(::kill(main.pid(), server().reload_signal), 0);
            if (!wait_replaced(main, before)) {
                std::string stuck;
                for (const pid_t p : descendants(main.pid())) {
                    if (before.contains(p))
                        stuck += describe_stuck(p, dir_.path());
                }
                FAIL() << label << ": the workers were not replaced after the reload" << logs()
                       << stuck;
            }
            ASSERT_TRUE(wait_serving(main, port, failure))
                << label << ": no service after the reload: " << failure << logs();
            ASSERT_NO_FATAL_FAILURE(serve_every_worker(main, port, label + " after a reload"));
            expect_scan(main.pid(), protect, label + " after a reload");
        }
        EXPECT_FALSE(main.exited()) << label << ": the server exited" << logs();
        expect_no_crash();
        (void)::kill(main.pid(), SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (!main.exited() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(50ms);
    }

    // Until none of `before` is a worker any more and enough new ones are.
    bool wait_replaced(pt::child& main, const std::set<pid_t>& before)
    {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (std::chrono::steady_clock::now() < deadline && !main.exited()) {
            const std::vector<pid_t> now = descendants(main.pid());
            const bool old_gone =
                std::none_of(now.begin(), now.end(), [&](pid_t p) { return before.count(p) != 0; });
            if (old_gone && now.size() >= server().workers)
                return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    pt::temp_dir dir_;
    bool ordinary_heap_allowed_ = false;
    std::string program_;
    std::string openssl_;
    std::string curl_;
    tls_files tls_;
    std::vector<pt::secret_part> parts_;
    std::vector<ms::bytes> needles_;
};

TEST_P(RealServer, ControlLeaksTheKey)
{
    run(false);
}

TEST_P(RealServer, KeyIsInNoProcessWithSecretmem)
{
    if (const auto why = pt::preload_unavailable())
        GTEST_SKIP() << *why;
    run(true);
}

// The administrator's mistake: the provider's configuration without the
// preload.  OpenSSL's heap is then ordinary memory, where libcrypto would
// load the key readable whatever the provider does: the server must not
// start, and must say why.
TEST_P(RealServer, ProviderWithoutThePreloadStopsTheServer)
{
    const int port = free_port();
    pt::child main(server().command(program_, dir_.path(), port, tls_), environment(true, false),
                   pt::spawn_options().err(dir_ / "server.err").session());
    const std::unique_ptr<pt::child, void (*)(pt::child*)> group(
        &main, [](pt::child* c) { (void)::kill(-c->pid(), SIGKILL); });
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!main.exited() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(main.exited()) << server().name << " is running without the preload" << logs();
    EXPECT_EQ(pt::describe_status(main.wait()), "exited 78") << logs();
    EXPECT_NE(pt::read_text(dir_ / "server.err").find("libsecretmem-preload.so"), std::string::npos)
        << "the reason is not on stderr" << logs();
}

// With `ordinary-heap = allow` the administrator takes that risk knowingly:
// the server starts and serves, and stderr says the keys are readable.
TEST_P(RealServer, OrdinaryHeapAllowedIsSaid)
{
    ordinary_heap_allowed_ = true;
    const int port = free_port();
    pt::child main(server().command(program_, dir_.path(), port, tls_), environment(true, false),
                   pt::spawn_options().err(dir_ / "server.err").session());
    const std::unique_ptr<pt::child, void (*)(pt::child*)> group(
        &main, [](pt::child* c) { (void)::kill(-c->pid(), SIGKILL); });
    std::string failure;
    ASSERT_TRUE(wait_serving(main, port, failure)) << failure << logs();
    EXPECT_NE(pt::read_text(dir_ / "server.err").find("WARNING: OpenSSL's heap is not secret"),
              std::string::npos)
        << logs();
}

// A client's key in the provider: curl, switched over like the servers,
// presents a certificate to an nginx that requires one (its key of each
// type, read from a file by curl's OpenSSL and held by the provider).
class ClientCertificate : public RealServer {
protected:
    void write_nginx_conf(int port)
    {
        const std::string d = dir_.path().string();
        std::ostringstream conf;
        conf << "worker_processes 1;\npid " << d << "/nginx.pid;\n"
             << "events { worker_connections 16; }\nhttp {\n  access_log off;\n";
        for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
            conf << "  " << temp << "_temp_path " << d << "/" << temp << ";\n";
        conf << "  server {\n    listen 127.0.0.1:" << port << " ssl;\n"
             << "    ssl_certificate " << tls_.cert.string() << ";\n"
             << "    ssl_certificate_key " << tls_.key.string() << ";\n"
             << "    ssl_client_certificate " << d << "/client.pem;\n"
             << "    ssl_verify_client on;\n"
             << "    location / { return 200 \"$ssl_client_verify $ssl_client_s_dn\\n\"; }\n"
             << "  }\n}\n";
        pt::write_text(dir_ / "nginx.conf", conf.str());
    }
};

TEST_P(ClientCertificate, CurlPresentsAKeyHeldInSecretMemory)
{
    if (const auto why = pt::preload_unavailable())
        GTEST_SKIP() << *why;
    const std::string client_key = (dir_ / "client.key").string();
    std::vector<std::string> args{"genpkey", "-out", client_key};
    args.insert(args.end(), key().genpkey.begin(), key().genpkey.end());
    ASSERT_NO_FATAL_FAILURE(openssl(args));
    ASSERT_NO_FATAL_FAILURE(
        openssl({"req", "-x509", "-new", "-key", client_key, "-subj", "/CN=client", "-days", "2",
                 "-out", (dir_ / "client.pem").string()}));
    const int port = free_port();
    write_nginx_conf(port);
    const std::string d = dir_.path().string();
    pt::child main({program_, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log", "-g",
                    "daemon off;"},
                   environment(false), pt::spawn_options().err(dir_ / "server.err").session());
    const std::unique_ptr<pt::child, void (*)(pt::child*)> group(
        &main, [](pt::child* c) { (void)::kill(-c->pid(), SIGKILL); });

    const std::vector<std::string> request{curl_,
                                           "-sS",
                                           "-k",
                                           "--max-time",
                                           "120",
                                           "--cert",
                                           (dir_ / "client.pem").string(),
                                           "--key",
                                           client_key,
                                           "-o",
                                           (dir_ / "reply").string(),
                                           "https://127.0.0.1:" + std::to_string(port) + "/"};
    std::vector<std::string> env = environment(true);
    env.emplace_back("SECRETMEM_PRELOAD_REPORT=1");
    std::string status;
    const auto deadline = std::chrono::steady_clock::now() + patience;
    do {
        pt::child curl(request, env, pt::spawn_options().err(dir_ / "curl.err"));
        status = pt::describe_status(curl.wait());
        if (status == "exited 0" || main.exited())
            break;
        std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_EQ(status, "exited 0") << pt::read_text(dir_ / "curl.err") << logs();
    EXPECT_EQ(pt::read_text(dir_ / "reply"), "SUCCESS CN=client\n");
    const auto report = pt::find_report(pt::read_text(dir_ / "curl.err"));
    ASSERT_TRUE(report.has_value()) << "curl gave no report: " << pt::read_text(dir_ / "curl.err");
    pt::expect_secret_backend(*report);
    EXPECT_EQ(report->text("openssl_heap"), "secret") << report->line;
}

std::string name_of(const testing::TestParamInfo<param>& info)
{
    return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
}

INSTANTIATE_TEST_SUITE_P(Servers, RealServer,
                         testing::Combine(testing::ValuesIn(all_servers()),
                                          testing::ValuesIn(all_keys())),
                         name_of);

INSTANTIATE_TEST_SUITE_P(Curl, ClientCertificate,
                         testing::Combine(testing::Values(all_servers().front()),
                                          testing::ValuesIn(all_keys())),
                         name_of);

} // namespace
} // namespace secretmem::server_test
