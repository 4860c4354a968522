// SPDX-License-Identifier: MIT
// The input of the SDK and allocator fuzzer, decoded (fuzz/README.md):
//
//   byte 0        flags: bit 0 two worker threads (else one); bit 1 a region
//                 shared by both threads (only with two)
//   byte 1        the shared region's size, in units of 64 bytes (+64)
//   then ops      4 bytes each: [opcode][slot][value, 16 bits LE]
//                 opcode bit 7: the thread that runs it (ignored with one),
//                 bits 0-6 modulo the number of ops below
//
// A missing byte at the end reads as 0.  Each thread runs its ops in input
// order; the two threads run at the same time.  heap_fork runs only in
// one-thread inputs whose hash allows it (one in sixteen), and once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace secretmem::fuzz {

enum class op : std::uint8_t {
    // The secret heap (secretmem/alloc.h), on this thread's block slots.
    heap_malloc,
    heap_calloc,
    heap_realloc,
    heap_aligned_alloc,
    heap_free,
    heap_rewrite,  // fill a block with a new pattern
    heap_hand_off, // put a block where the other thread can adopt it
    heap_adopt,    // take a block handed off (by either thread)
    heap_check,    // every block of this thread, and the heap's statistics
    // SDK regions (secretmem/region.hpp), on this thread's region slots.
    region_allocate,
    region_destroy,
    region_protect,
    region_open_window,
    region_close_window,
    region_write, // through a write window
    region_read,  // through any window
    region_touch, // directly, as far as protect() allows
    region_move,
    region_probe, // what the kernel enforces: the access, the guard pages
    // The region shared by both threads: each writes only its own half.
    shared_open_window,
    shared_close_window,
    shared_touch,
    shared_protect,
    yield,
    // Added later, so that older inputs keep their meaning.
    heap_fork,              // one thread only: what a forked child sees of the heap
    region_reassign_window, // move-assign one open window over another
    secret_value,           // a secret<T> made, written, read back
    count,
};

struct op_record {
    op kind;
    std::uint8_t slot;
    std::uint16_t value;
};

struct op_plan {
    unsigned threads = 1;
    std::size_t shared_size = 0; // 0: no shared region
    std::array<std::vector<op_record>, 2> ops;
};

[[nodiscard]] op_plan decode_ops(std::span<const std::uint8_t> data);

} // namespace secretmem::fuzz
