// SPDX-License-Identifier: MIT
#include "op_stream.hpp"

#include "../common/input.hpp"

namespace secretmem::fuzz {

namespace {

// FNV-1a.
std::uint32_t hash_of(std::span<const std::uint8_t> data)
{
    std::uint32_t h = 2166136261U;
    for (const std::uint8_t b : data)
        h = (h ^ b) * 16777619U;
    return h;
}

} // namespace

op_plan decode_ops(std::span<const std::uint8_t> data)
{
    // A fork costs a hundred ordinary ops (with the fd backend the child maps
    // the whole heap afresh, a kernel TLB flush per page): one input in
    // sixteen may fork, by its hash, so that mutants of an input that forks
    // mostly do not; and then once, with one thread only.
    bool may_fork = hash_of(data) % 16 == 0;
    input in(data);
    op_plan plan;
    const std::uint8_t flags = in.byte();
    const std::uint8_t shared_units = in.byte();
    plan.threads = (flags & 1U) != 0 ? 2 : 1;
    if (plan.threads == 2 && (flags & 2U) != 0)
        plan.shared_size = 64 * (std::size_t{shared_units} + 1);
    constexpr auto kinds = static_cast<unsigned>(op::count);
    while (!in.empty()) {
        const std::uint8_t code = in.byte();
        const op_record record{static_cast<op>((code & 0x7FU) % kinds), in.byte(), in.u16()};
        const unsigned thread = plan.threads == 2 ? (code >> 7U) : 0;
        if (record.kind == op::heap_fork) {
            if (!may_fork || plan.threads != 1)
                continue;
            may_fork = false;
        }
        plan.ops.at(thread).push_back(record);
    }
    return plan;
}

} // namespace secretmem::fuzz
