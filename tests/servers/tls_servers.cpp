// SPDX-License-Identifier: MIT
#include "tls_servers.hpp"

#include <harness.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace secretmem::server_test {
namespace {

namespace fs = std::filesystem;
namespace pt = preload_test;

std::string listen_address(int port)
{
    return "127.0.0.1:" + std::to_string(port);
}

std::set<pid_t> pids_in(const std::string& text)
{
    std::set<pid_t> pids;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        pid_t pid = 0;
        const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), pid);
        if (error == std::errc{} && pid > 0)
            pids.insert(pid);
    }
    return pids;
}

// Servers that put their pid in the response.
std::set<pid_t> pids_in_bodies(const std::vector<std::string>& bodies, const fs::path& /*dir*/)
{
    std::set<pid_t> pids;
    for (const std::string& body : bodies)
        pids.merge(pids_in(body));
    return pids;
}

// Apache cannot: its access log can (%P), one pid a line.
std::set<pid_t> pids_in_access_log(const std::vector<std::string>& /*bodies*/, const fs::path& dir)
{
    return pids_in(pt::read_text(dir / "pids.log"));
}

// Two workers, each listening on its own socket (reuseport), so that the
// kernel spreads connections over both; the response is the worker's pid.
std::vector<std::string> nginx(const std::string& program, const fs::path& dir, int port,
                               const tls_files& tls)
{
    const std::string d = dir.string();
    std::ostringstream conf;
    conf << "worker_processes 2;\n"
         << "pid " << d << "/nginx.pid;\n"
         << "error_log " << d << "/error.log notice;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n"
         << "  access_log off;\n";
    for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
        conf << "  " << temp << "_temp_path " << d << "/" << temp << ";\n";
    conf << "  server {\n"
         << "    listen " << listen_address(port) << " ssl reuseport;\n"
         << "    ssl_certificate " << tls.cert.string() << ";\n"
         << "    ssl_certificate_key " << tls.key.string() << ";\n"
         << "    location / { return 200 \"$pid\\n\"; }\n"
         << "  }\n"
         << "}\n";
    pt::write_text(dir / "nginx.conf", conf.str());
    // In the foreground, as systemd's unit runs it (Type=forking aside).
    return {program,          "-p", d + "/",      "-c", d + "/nginx.conf", "-e",
            d + "/error.log", "-g", "daemon off;"};
}

// Apache with one MPM; children run as www-data, so the document root is
// readable by all (the key stays root's: the parent reads it).
std::vector<std::string> apache(const std::string& program, const fs::path& dir, int port,
                                const tls_files& tls, bool prefork)
{
    const std::string d = dir.string();
    const std::string modules = "/usr/lib/apache2/modules/";
    fs::create_directories(dir / "www");
    pt::write_text(dir / "www" / "index.html", "ok\n");
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    std::ostringstream conf;
    conf << "ServerRoot " << d << "\n"
         << "ServerName localhost\n"
         << "DefaultRuntimeDir " << d << "\n"
         << "PidFile " << d << "/httpd.pid\n"
         << "ErrorLog " << d << "/error.log\n"
         << "LogLevel warn\n"
         << "Listen " << listen_address(port) << "\n";
    if (prefork) {
        conf << "LoadModule mpm_prefork_module " << modules << "mod_mpm_prefork.so\n"
             << "StartServers 2\nMinSpareServers 2\nMaxSpareServers 2\n"
             << "ServerLimit 4\nMaxRequestWorkers 4\n";
    } else {
        conf << "LoadModule mpm_event_module " << modules << "mod_mpm_event.so\n"
             << "StartServers 2\nServerLimit 2\nThreadsPerChild 4\nMaxRequestWorkers 8\n"
             << "MinSpareThreads 1\nMaxSpareThreads 8\n";
    }
    conf << "LoadModule authz_core_module " << modules << "mod_authz_core.so\n"
         << "LoadModule socache_shmcb_module " << modules << "mod_socache_shmcb.so\n"
         << "LoadModule ssl_module " << modules << "mod_ssl.so\n"
         << "User www-data\nGroup www-data\n"
         << "LogFormat \"%P\" pid\n"
         << "CustomLog " << d << "/pids.log pid\n"
         << "DocumentRoot " << d << "/www\n"
         << "<Directory " << d << "/www>\n  Require all granted\n</Directory>\n"
         << "SSLEngine on\n"
         << "SSLCertificateFile " << tls.cert.string() << "\n"
         << "SSLCertificateKeyFile " << tls.key.string() << "\n"
         << "SSLSessionCache none\n";
    pt::write_text(dir / "httpd.conf", conf.str());
    return {program, "-f", d + "/httpd.conf", "-DFOREGROUND"};
}

std::vector<std::string> apache_event(const std::string& program, const fs::path& dir, int port,
                                      const tls_files& tls)
{
    return apache(program, dir, port, tls, false);
}

std::vector<std::string> apache_prefork(const std::string& program, const fs::path& dir, int port,
                                        const tls_files& tls)
{
    return apache(program, dir, port, tls, true);
}

// HAProxy's master-worker mode (-W), in the foreground (-db), as Debian's
// unit runs it; the worker answers with its pid.
std::vector<std::string> haproxy(const std::string& program, const fs::path& dir, int port,
                                 const tls_files& tls)
{
    std::ostringstream conf;
    conf << "global\n"
         << "  nbthread 2\n"
         << "defaults\n"
         << "  mode http\n"
         << "  timeout connect 5s\n"
         << "  timeout client 30s\n"
         << "  timeout server 30s\n"
         << "frontend tls\n"
         << "  bind " << listen_address(port) << " ssl crt " << tls.combined.string() << "\n"
         << "  http-request return status 200 content-type text/plain lf-string \"%pid\\n\"\n";
    pt::write_text(dir / "haproxy.cfg", conf.str());
    return {program, "-W", "-db", "-f", (dir / "haproxy.cfg").string()};
}

// Python's ssl module: libcrypto arrives with _ssl, by dlopen().
std::vector<std::string> python(const std::string& program, const fs::path& /*dir*/, int port,
                                const tls_files& tls)
{
    return {program, pt::beside_test("tls_server.py").string(), std::to_string(port),
            tls.cert.string(), tls.key.string()};
}

} // namespace

const std::vector<server_spec>& all_servers()
{
    static const std::vector<server_spec> servers = {
        {"nginx", {"/usr/sbin/nginx"}, 2, SIGHUP, true, nginx, pids_in_bodies},
        {"apache2_event", {"/usr/sbin/apache2"}, 2, SIGHUP, true, apache_event, pids_in_access_log},
        {"apache2_prefork",
         {"/usr/sbin/apache2"},
         2,
         SIGHUP,
         true,
         apache_prefork,
         pids_in_access_log},
        {"haproxy", {"/usr/sbin/haproxy"}, 1, SIGUSR2, false, haproxy, pids_in_bodies},
        {"python3_ssl", {"/usr/bin/python3"}, 0, 0, true, python, pids_in_bodies},
    };
    return servers;
}

} // namespace secretmem::server_test
