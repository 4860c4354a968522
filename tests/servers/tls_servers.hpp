// SPDX-License-Identifier: MIT
// Real TLS servers from Debian's packages, started the way their users
// start them (a master and its workers, in the foreground, as under
// systemd), each with a configuration written for one test: where it
// listens, the certificate and key, a response that names the worker that
// served it, and how to reload it.
#pragma once

#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace secretmem::server_test {

struct tls_files {
    std::filesystem::path cert;
    std::filesystem::path key;
    std::filesystem::path combined; // the certificate, then the key (HAProxy's crt)
};

struct server_spec {
    std::string name;                  // "nginx", "apache2-event", ...
    std::vector<std::string> programs; // where to find it; the first that exists
    // Worker processes besides the one started (0: it serves by itself).
    unsigned workers = 0;
    // What makes it reload its configuration and replace its workers (0: none).
    int reload_signal = 0;
    // Whether the process started keeps the key once its workers run
    // (HAProxy's master re-executes itself without its configuration).
    bool main_keeps_key = true;

    // Writes the configuration into `dir` and returns the command line.
    std::vector<std::string> (*command)(const std::string& program,
                                        const std::filesystem::path& dir, int port,
                                        const tls_files& tls) = nullptr;
    // The workers that served `bodies` (the responses), from the bodies or
    // from what the server logged into `dir`.
    std::set<pid_t> (*served_by)(const std::vector<std::string>& bodies,
                                 const std::filesystem::path& dir) = nullptr;
};

// nginx, Apache httpd (mpm_event and mpm_prefork), HAProxy (master-worker)
// and a Python ssl server.
[[nodiscard]] const std::vector<server_spec>& all_servers();

} // namespace secretmem::server_test
