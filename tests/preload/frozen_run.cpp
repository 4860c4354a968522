// SPDX-License-Identifier: MIT
#include "frozen_run.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

namespace secretmem::preload_test {

namespace ms = memscan;
namespace pt = preload_test;

namespace {

bool is_vdso_like(const ms::mapping& m)
{
    return m.name == "[vvar]" || m.name == "[vvar_vclock]" || m.name == "[vsyscall]";
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

} // namespace

std::size_t unreadable_outside_vdso(const ms::scan_result& r)
{
    std::size_t pages = 0;
    for (const ms::mapping_result& m : r.mappings) {
        if (!is_vdso_like(m.map))
            pages += m.pages_failed;
    }
    return pages;
}

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

void expect_found(const frozen_run& run)
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

void expect_hidden(const frozen_run& run, const std::string& mode)
{
    log_scan(run);
    EXPECT_EQ(pt::describe_status(run.status), "exited 0") << run.stderr_text;
    EXPECT_EQ(run.output_problem, "");
    ASSERT_FALSE(run.parts.empty());
    EXPECT_FALSE(run.scan.process_gone);
    EXPECT_TRUE(run.hits.empty()) << run.hits.size()
                                  << " copies of key material in readable memory:\n"
                                  << describe_hits(run);
    EXPECT_GT(unreadable_outside_vdso(run.scan), 0U)
        << "no page outside [vvar] refused the read: where is the secret heap?";
    const auto report = pt::find_report(run.stderr_text);
    ASSERT_TRUE(report) << "no secretmem-preload report on stderr:\n" << run.stderr_text;
    EXPECT_EQ(report->text("mode"), mode) << report->line;
    pt::expect_secret_backend(*report);
    EXPECT_GT(report->number("mapped"), 0) << report->line;
    EXPECT_GT(report->number("secure_heap_allocs"), 0) << report->line;
    EXPECT_GT(report->number("secure_heap_peak"), 0) << report->line;
    // The copies OpenSSL makes as it decodes and encodes keys are in
    // its ordinary heap: that must be secret too.
    EXPECT_EQ(report->text("openssl_heap"), "secret") << report->line;
    EXPECT_GT(report->number("openssl_heap_peak"), 0) << report->line;
}

} // namespace secretmem::preload_test
