// What secret-bench and alloc-bench both do before they measure.
#pragma once

#include <optional>
#include <string>

namespace bench_cli {

// Lift RLIMIT_MEMLOCK as far as this process may: memfd_secret charges
// every page to it at fault time, even for root (a fault over the limit is
// a SIGBUS), mlock and the secure heap lock their memory, and 8 MiB is the
// default.  Returns "unlimited", "N bytes" or "unknown", for the JSON.
[[nodiscard]] std::string raise_memlock_limit();

// The arguments benchmark::Initialize() left: --smoke or nothing.  Whether
// --smoke was given, or nothing (after a usage message on stderr) when an
// argument is unknown.
[[nodiscard]] std::optional<bool> smoke_flag(int argc, char** argv);

} // namespace bench_cli
