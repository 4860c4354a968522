// SPDX-License-Identifier: MIT
// One thread's share of the secret heap fuzzing: its block slots, the
// operations on them and the invariants checked after each.
#pragma once

#include "op_stream.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace secretmem::fuzz {

struct heap_block {
    std::byte* p = nullptr;
    std::size_t size = 0;   // as asked for; [0, size) holds the pattern
    std::size_t usable = 0; // secretmem_usable_size() when it was made
    std::uint32_t seed = 0;
};

// What the threads of one input share: blocks handed from one to the
// other, and one budget of live bytes, so that an input cannot map more
// secret memory than a few MiB.
class heap_commons {
public:
    static constexpr std::size_t budget = std::size_t{6} << 20;
    static constexpr std::size_t max_handed = 8;

    explicit heap_commons(std::string_view backend) : backend_(backend) {}

    [[nodiscard]] std::string_view backend() const noexcept { return backend_; }
    // Reserve `bytes` of the budget; false when it would be exceeded.
    [[nodiscard]] bool reserve(std::size_t bytes) noexcept;
    void release(std::size_t bytes) noexcept;

    [[nodiscard]] bool hand_off(const heap_block& b);
    [[nodiscard]] std::optional<heap_block> adopt();
    [[nodiscard]] std::vector<heap_block> adopt_all();

private:
    std::string_view backend_;
    std::atomic<std::size_t> live_{0};
    std::mutex lock_;
    std::vector<heap_block> handed_;
};

class heap_worker {
public:
    // `alone`: no other thread uses the heap during this input, so memory
    // this thread freed can be checked to read as zeros afterwards.
    heap_worker(heap_commons& commons, bool alone) : commons_(commons), alone_(alone) {}

    void run(const op_record& r);
    // Check and free every block this thread holds.
    void free_all();
    // Check and free a block (one left handed off at the end).
    void check_and_free(const heap_block& b);

private:
    static constexpr std::size_t slot_count = 16;

    void place(std::uint8_t slot, std::byte* p, std::size_t size, std::uint16_t value);
    void make(std::uint8_t slot, std::uint16_t value);
    void make_zeroed(std::uint8_t slot, std::uint16_t value);
    void make_aligned(std::uint8_t slot, std::uint16_t value);
    void resize(std::uint8_t slot, std::uint16_t value);
    void drop(std::uint8_t slot);
    void rewrite(std::uint8_t slot, std::uint16_t value);
    void hand_off(std::uint8_t slot);
    void adopt(std::uint8_t slot);
    void fork_and_check(std::uint16_t value);
    void check_all();
    void check_stats();
    void check_contents(const heap_block& b) const;
    void check_no_overlap(const heap_block& b) const;
    void free_block(const heap_block& b);
    [[nodiscard]] std::uint32_t next_seed(std::uint16_t value) noexcept;

    heap_commons& commons_;
    bool alone_;
    std::array<std::optional<heap_block>, slot_count> slots_{};
    std::uint64_t last_mapped_ = 0;
    std::uint32_t seeds_ = 0;
};

} // namespace secretmem::fuzz
