// SPDX-License-Identifier: MIT
#include "region_ops.hpp"

#include "../common/check.hpp"
#include "pattern.hpp"

#include <secretmem/error.hpp>
#include <secretmem/secret.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <unistd.h>
#include <utility>

namespace secretmem::fuzz {
namespace {

access level_of(const any_window& w) noexcept
{
    return std::holds_alternative<write_window>(w) ? access::read_write : access::read;
}

access larger(access a, access b) noexcept
{
    return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

bool at_least(access a, access b) noexcept
{
    return static_cast<int>(a) >= static_cast<int>(b);
}

access widest(const std::vector<any_window>& windows, access from) noexcept
{
    for (const any_window& w : windows)
        from = larger(from, level_of(w));
    return from;
}

std::span<const std::byte> bytes_of(const any_window& w)
{
    return std::visit([](const auto& v) { return std::span<const std::byte>(v.bytes()); }, w);
}

write_window* first_writer(std::vector<any_window>& windows) noexcept
{
    for (any_window& w : windows) {
        if (auto* writer = std::get_if<write_window>(&w))
            return writer;
    }
    return nullptr;
}

const char* name_of(access a) noexcept
{
    switch (a) {
    case access::none:
        return "none";
    case access::read:
        return "read";
    case access::read_write:
        break;
    }
    return "read_write";
}

// Secret memory that cannot be had at all is the machine's limit (the
// memlock limit, with EAGAIN), not a failure of the SDK.
bool out_of_secret_memory(const error& e) noexcept
{
    return e.code() == std::errc::resource_unavailable_try_again ||
           e.code() == std::errc::not_enough_memory;
}

void expect_same(std::span<const std::byte> got, const std::vector<std::byte>& want,
                 const char* where)
{
    FUZZ_CHECK(got.size() == want.size(), "%s: %zu bytes, expected %zu", where, got.size(),
               want.size());
    if (std::memcmp(got.data(), want.data(), got.size()) == 0)
        return;
    const auto [bad, unused] = std::mismatch(got.begin(), got.end(), want.begin());
    FUZZ_CHECK(false, "%s: byte %zu of %zu lost", where,
               static_cast<std::size_t>(bad - got.begin()), got.size());
}

} // namespace

void region_worker::check_access(const region_slot& s) const
{
    const access want = widest(s.windows, s.base);
    const access got = s.r.current_access();
    FUZZ_CHECK(got == want, "region access %s, expected %s (protect %s, %zu windows)", name_of(got),
               name_of(want), name_of(s.base), s.windows.size());
}

void region_worker::allocate(std::uint8_t index, std::uint16_t value)
{
    destroy(index);
    const std::size_t size = value;
    region r;
    try {
        r = region::allocate(size);
    } catch (const error& e) {
        if (size == 0) {
            FUZZ_CHECK(e.code() == std::errc::invalid_argument, "allocate(0): %s", e.what());
            return;
        }
        if (out_of_secret_memory(e))
            return;
        FUZZ_CHECK(false, "allocate(%zu): %s", size, e.what());
    }
    FUZZ_CHECK(size != 0, "allocate(0) returned a region");
    FUZZ_CHECK(r && r.size() == size, "region of %zu bytes says %zu", size, r.size());
    FUZZ_CHECK(to_string(r.backend()) == backend_, "region on %s, the heap is on %.*s",
               to_string(r.backend()).data(), static_cast<int>(backend_.size()), backend_.data());
    FUZZ_CHECK(r.degraded() == (backend_ == "locked"), "degraded() wrong for %.*s",
               static_cast<int>(backend_.size()), backend_.data());
    FUZZ_CHECK(r.current_access() == access::none, "a new region is accessible: %s",
               name_of(r.current_access()));
    region_slot s;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    s.capacity = (size + page - 1) / page * page;
    s.size = size;
    {
        const write_window w = r.write();
        FUZZ_CHECK(w.size() == size, "window of %zu bytes on a %zu-byte region", w.size(), size);
        s.data = w.data();
        const std::size_t dirty = nonzero_at(w.data(), 0, size);
        FUZZ_CHECK(dirty == size, "a new region holds data at byte %zu", dirty);
    }
    FUZZ_CHECK(reinterpret_cast<std::uintptr_t>(s.data) % page == 0, "region data %p unaligned",
               static_cast<void*>(s.data));
    FUZZ_CHECK(r.current_access() == access::none, "closing the only window left access %s",
               name_of(r.current_access()));
    s.expected.assign(size, std::byte{0});
    s.r = std::move(r);
    slots_.at(index) = std::move(s);
    probe(index);
}

void region_worker::destroy(std::uint8_t index)
{
    auto& s = slots_.at(index);
    if (!s)
        return;
    s->windows.clear();
    check_access(*s);
    {
        const read_window w = s->r.read();
        expect_same(w.bytes(), s->expected, "region contents before destruction");
    }
    std::byte* data = s->data;
    s.reset(); // the release observer checks the wipe
    // Unmapped, unless another thread's new mapping took the address.
    if (alone_) {
        FUZZ_CHECK(!probe_.readable(data), "a destroyed region %p is still mapped",
                   static_cast<void*>(data));
    }
}

void region_worker::protect(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s)
        return;
    s->base = static_cast<access>(value % 3);
    secretmem::protect(s->r, s->base);
    check_access(*s);
}

void region_worker::open_window(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s || s->windows.size() == max_windows)
        return;
    if ((value & 1U) != 0) {
        s->windows.emplace_back(s->r.write());
    } else {
        s->windows.emplace_back(std::as_const(s->r).read());
    }
    const std::span<const std::byte> bytes = bytes_of(s->windows.back());
    FUZZ_CHECK(bytes.data() == s->data && bytes.size() == s->size, "window %p+%zu on region %p+%zu",
               static_cast<const void*>(bytes.data()), bytes.size(), static_cast<void*>(s->data),
               s->size);
    check_access(*s);
    if ((value & 2U) != 0)
        expect_same(bytes, s->expected, "region contents through a new window");
}

void region_worker::close_window(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s || s->windows.empty())
        return;
    s->windows.erase(s->windows.begin() + static_cast<std::ptrdiff_t>(value % s->windows.size()));
    check_access(*s);
}

void region_worker::write(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s)
        return;
    write_window* w = first_writer(s->windows);
    if (w == nullptr)
        return;
    const std::size_t offset = std::size_t{value} * 7919 % s->size;
    const std::size_t length = std::min(s->size - offset, 1 + std::size_t{value & 0xFFU} * 32);
    const std::uint32_t seed = ++seeds_ ^ value;
    for (std::size_t i = 0; i < length; ++i) {
        const std::byte b = pattern_byte(seed, i);
        w->data()[offset + i] = b;
        s->expected[offset + i] = b;
    }
}

void region_worker::read(std::uint8_t index, std::uint16_t value) const
{
    const auto& s = slots_.at(index);
    if (!s || s->windows.empty())
        return;
    expect_same(bytes_of(s->windows.at(value % s->windows.size())), s->expected,
                "region contents through a window");
}

void region_worker::touch(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s)
        return;
    const access now = widest(s->windows, s->base);
    if (now == access::none)
        return;
    expect_same({s->data, s->size}, s->expected, "region contents read directly");
    if (now == access::read_write && (value & 1U) != 0) {
        const std::size_t at = value % s->size;
        const std::byte b = pattern_byte(++seeds_, at);
        s->data[at] = b;
        s->expected[at] = b;
    }
}

void region_worker::move(std::uint8_t index, std::uint16_t value)
{
    const auto to = static_cast<std::uint8_t>(value % slot_count);
    auto& from = slots_.at(index);
    if (!from || to == index)
        return;
    auto& target = slots_.at(to);
    if (target) {
        // Assigning over a region releases it: no window may stay open.
        target->windows.clear();
        const read_window w = target->r.read();
        expect_same(w.bytes(), target->expected, "region contents before being assigned over");
    } else {
        target.emplace();
    }
    target->r = std::move(from->r);
    FUZZ_CHECK(!from->r && from->r.size() == 0, "a moved-from region still holds memory");
    try {
        (void)from->r.backend();
        FUZZ_CHECK(false, "a moved-from region answered backend()");
    } catch (const error& e) {
        FUZZ_CHECK(e.code() == errc::empty_region, "moved-from backend(): %s", e.what());
    }
    target->size = from->size;
    target->capacity = from->capacity;
    target->data = from->data;
    target->base = from->base;
    target->expected = std::move(from->expected);
    target->windows = std::move(from->windows);
    from.reset();
    check_access(*target);
    FUZZ_CHECK(target->r.size() == target->size, "moved region of %zu bytes says %zu", target->size,
               target->r.size());
}

void region_worker::probe(std::uint8_t index) const
{
    const auto& s = slots_.at(index);
    if (!s)
        return;
    const access now = widest(s->windows, s->base);
    const bool reads = at_least(now, access::read);
    FUZZ_CHECK(probe_.readable(s->data) == reads && probe_.readable(s->data + s->size - 1) == reads,
               "the kernel's read access disagrees with %s", name_of(now));
    FUZZ_CHECK(probe_.writable(s->data, s->expected.front()) == (now == access::read_write),
               "the kernel's write access disagrees with %s", name_of(now));
    FUZZ_CHECK(!probe_.readable(s->data - 1) && !probe_.readable(s->data + s->capacity),
               "a guard page of region %p+%zu is accessible", static_cast<void*>(s->data),
               s->capacity);
}

void region_worker::reassign_window(std::uint8_t index, std::uint16_t value)
{
    auto& s = slots_.at(index);
    if (!s || s->windows.size() < 2)
        return;
    const std::size_t to = value % s->windows.size();
    const std::size_t from = (value >> 8U) % s->windows.size();
    if (to == from)
        return;
    // The window assigned over closes; the moved-from one closes nothing.
    s->windows.at(to) = std::move(s->windows.at(from));
    s->windows.erase(s->windows.begin() + static_cast<std::ptrdiff_t>(from));
    check_access(*s);
    for (const any_window& w : s->windows) {
        FUZZ_CHECK(bytes_of(w).data() == s->data && bytes_of(w).size() == s->size,
                   "a reassigned window points elsewhere");
    }
}

void region_worker::secret_value(std::uint16_t value)
{
    using value_type = std::array<std::uint64_t, 8>;
    std::optional<secret<value_type>> v;
    try {
        v.emplace();
    } catch (const error& e) {
        if (out_of_secret_memory(e))
            return;
        FUZZ_CHECK(false, "secret<T>: %s", e.what());
    }
    const region& storage = v->storage();
    FUZZ_CHECK(storage.size() == sizeof(value_type) && to_string(storage.backend()) == backend_ &&
                   storage.current_access() == access::none,
               "secret<T>'s region: %zu bytes on %s, access %s", storage.size(),
               to_string(storage.backend()).data(), name_of(storage.current_access()));
    {
        const auto r = std::as_const(*v).read();
        FUZZ_CHECK(std::all_of(r->begin(), r->end(), [](std::uint64_t x) { return x == 0; }),
                   "a new secret<T> is not value-initialized");
    }
    {
        const auto w = v->write();
        for (std::size_t i = 0; i < w->size(); ++i)
            w->at(i) = value * (i + 1);
    }
    const auto r = std::as_const(*v).read();
    for (std::size_t i = 0; i < r->size(); ++i) {
        FUZZ_CHECK(r->at(i) == value * (i + 1), "secret<T> element %zu lost", i);
    }
    FUZZ_CHECK(storage.current_access() == access::read, "secret<T> read at %s",
               name_of(storage.current_access()));
}

void region_worker::shared_open(std::uint16_t value)
{
    if (shared_ == nullptr || shared_windows_.size() == max_windows)
        return;
    if ((value & 1U) != 0) {
        shared_windows_.emplace_back(shared_->r.write());
    } else {
        shared_windows_.emplace_back(std::as_const(shared_->r).read());
    }
    FUZZ_CHECK(bytes_of(shared_windows_.back()).data() == shared_->data,
               "a window on the shared region points elsewhere");
    const access own = widest(shared_windows_, access::none);
    FUZZ_CHECK(at_least(shared_->r.current_access(), own),
               "shared region at %s with a %s window open", name_of(shared_->r.current_access()),
               name_of(own));
}

void region_worker::shared_close(std::uint16_t value)
{
    if (shared_ == nullptr || shared_windows_.empty())
        return;
    shared_windows_.erase(shared_windows_.begin() +
                          static_cast<std::ptrdiff_t>(value % shared_windows_.size()));
    const access own = widest(shared_windows_, access::none);
    FUZZ_CHECK(at_least(shared_->r.current_access(), own),
               "another window closing took access %s away", name_of(own));
}

void region_worker::shared_touch(std::uint16_t value)
{
    if (shared_ == nullptr || shared_windows_.empty() || half_.empty())
        return;
    const std::size_t start = thread_ * half_.size();
    FUZZ_CHECK(probe_.readable(shared_->data + start),
               "shared region unreadable with this thread's window open");
    write_window* w = first_writer(shared_windows_);
    if (w != nullptr && (value & 1U) != 0) {
        const std::size_t at = value % half_.size();
        const std::size_t length = std::min(half_.size() - at, std::size_t{value & 0xFFU} + 1);
        const std::uint32_t seed = ++seeds_ ^ value;
        for (std::size_t i = 0; i < length; ++i) {
            const std::byte b = pattern_byte(seed, i);
            w->data()[start + at + i] = b;
            half_[at + i] = b;
        }
        return;
    }
    const std::span<const std::byte> all = bytes_of(shared_windows_.front());
    expect_same(all.subspan(start, half_.size()), half_, "this thread's half of the shared region");
}

void region_worker::shared_protect(std::uint16_t value)
{
    if (shared_ == nullptr)
        return;
    shared_->r.protect(static_cast<access>(value % 3));
    const access own = widest(shared_windows_, access::none);
    FUZZ_CHECK(at_least(shared_->r.current_access(), own),
               "protect() took access below this thread's %s window", name_of(own));
}

void region_worker::finish()
{
    shared_windows_.clear();
    if (shared_ != nullptr)
        shared_->expected.at(thread_) = half_;
    for (std::uint8_t i = 0; i < slot_count; ++i)
        destroy(i);
}

void region_worker::run(const op_record& r)
{
    const auto index = static_cast<std::uint8_t>(r.slot % slot_count);
    switch (r.kind) {
    case op::region_allocate:
        allocate(index, r.value);
        break;
    case op::region_destroy:
        destroy(index);
        break;
    case op::region_protect:
        protect(index, r.value);
        break;
    case op::region_open_window:
        open_window(index, r.value);
        break;
    case op::region_close_window:
        close_window(index, r.value);
        break;
    case op::region_write:
        write(index, r.value);
        break;
    case op::region_read:
        read(index, r.value);
        break;
    case op::region_touch:
        touch(index, r.value);
        break;
    case op::region_move:
        move(index, r.value);
        break;
    case op::region_probe:
        probe(index);
        break;
    case op::shared_open_window:
        shared_open(r.value);
        break;
    case op::shared_close_window:
        shared_close(r.value);
        break;
    case op::shared_touch:
        shared_touch(r.value);
        break;
    case op::shared_protect:
        shared_protect(r.value);
        break;
    case op::region_reassign_window:
        reassign_window(index, r.value);
        break;
    case op::secret_value:
        secret_value(r.value);
        break;
    default:
        break;
    }
}

} // namespace secretmem::fuzz
