// SPDX-License-Identifier: MIT
#include "counters.hpp"

namespace secretmem::stress {

std::string_view name(op o)
{
    switch (o) {
    case op::map_secret:
        return "mmap MAP_SECRET";
    case op::convert:
        return "mprotect PROT_SECRET";
    case op::touch:
        return "touch";
    case op::verify:
        return "verify";
    case op::protect:
        return "mprotect RO/RW";
    case op::grow:
        return "mremap grow";
    case op::shrink:
        return "mremap shrink";
    case op::move:
        return "mremap move";
    case op::dontneed:
        return "MADV_DONTNEED";
    case op::free_pages:
        return "MADV_FREE";
    case op::pageout:
        return "MADV_PAGEOUT";
    case op::cold:
        return "MADV_COLD";
    case op::lock:
        return "mlock";
    case op::unlock:
        return "munlock";
    case op::punch:
        return "munmap middle";
    case op::unmap:
        return "munmap";
    case op::fork_child:
        return "fork";
    case op::fork_kept:
        return "fork, kept";
    case op::race:
        return "racing fault";
    case op::count_:
        break;
    }
    return "?";
}

} // namespace secretmem::stress
