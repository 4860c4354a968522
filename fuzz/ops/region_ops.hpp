// SPDX-License-Identifier: MIT
// One thread's share of the SDK fuzzing: its region slots with their open
// access windows, its windows on the region both threads share, and the
// invariants checked after each operation: contents, sizes, the access the
// SDK reports and the one the kernel enforces, the guard pages.
#pragma once

#include "access_probe.hpp"
#include "op_stream.hpp"

#include <secretmem/region.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace secretmem::fuzz {

using any_window = std::variant<read_window, write_window>;

// A region both threads open windows on; thread t writes only the t-th
// half, so each can check its own half without locking.
struct shared_region {
    region r;
    std::size_t size = 0;
    std::byte* data = nullptr;
    std::array<std::vector<std::byte>, 2> expected; // each half, as its thread left it
};

// One region of a thread's, with what the fuzzer expects of it.
struct region_slot {
    region r;
    std::size_t size = 0;
    std::size_t capacity = 0; // whole pages
    std::byte* data = nullptr;
    access base = access::none;
    std::vector<std::byte> expected; // what the region must hold
    std::vector<any_window> windows;
};

class region_worker {
public:
    region_worker(std::string_view backend, bool alone, shared_region* shared, unsigned thread)
        : backend_(backend), alone_(alone), shared_(shared), thread_(thread)
    {
        if (shared_ != nullptr)
            half_.assign(shared_->size / 2, std::byte{0});
    }

    void run(const op_record& r);
    // Close every window, check and destroy every region; leave this
    // thread's half of the shared region in shared_->expected.
    void finish();

private:
    static constexpr std::size_t slot_count = 8;
    static constexpr std::size_t max_windows = 4;

    void allocate(std::uint8_t index, std::uint16_t value);
    void destroy(std::uint8_t index);
    void protect(std::uint8_t index, std::uint16_t value);
    void open_window(std::uint8_t index, std::uint16_t value);
    void close_window(std::uint8_t index, std::uint16_t value);
    void write(std::uint8_t index, std::uint16_t value);
    void read(std::uint8_t index, std::uint16_t value) const;
    void touch(std::uint8_t index, std::uint16_t value);
    void move(std::uint8_t index, std::uint16_t value);
    void probe(std::uint8_t index) const;
    void reassign_window(std::uint8_t index, std::uint16_t value);
    void secret_value(std::uint16_t value);
    void shared_open(std::uint16_t value);
    void shared_close(std::uint16_t value);
    void shared_touch(std::uint16_t value);
    void shared_protect(std::uint16_t value);

    void check_access(const region_slot& s) const;

    std::string_view backend_;
    bool alone_;
    shared_region* shared_;
    unsigned thread_;
    access_probe probe_;
    std::array<std::optional<region_slot>, slot_count> slots_{};
    std::vector<any_window> shared_windows_;
    std::vector<std::byte> half_; // this thread's half of the shared region
    std::uint32_t seeds_ = 0;
};

} // namespace secretmem::fuzz
