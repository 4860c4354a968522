// SPDX-License-Identifier: MIT
// libFuzzer target: the input is a program of SDK and secret heap
// operations (op_stream.hpp) run by one or two threads at once, checked
// after every step (heap_ops.hpp, region_ops.hpp) and, once the threads
// are done, for the heap's accounting: every block freed, the allocated
// bytes are back where they were.
#include "../common/check.hpp"
#include "heap_ops.hpp"
#include "op_stream.hpp"
#include "pattern.hpp"
#include "region_ops.hpp"

#include <secretmem/alloc.h>
#include <secretmem/region.hpp>
#include <secretmem/testing.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace secretmem::fuzz;

// The backend the heap and the SDK chose: both follow the default policy.
std::string backend;

// Every region is wiped before it is unmapped.
void check_wiped(std::span<const std::byte> wiped)
{
    const std::size_t dirty = nonzero_at(wiped.data(), 0, wiped.size());
    FUZZ_CHECK(dirty == wiped.size(), "region of %zu bytes unmapped with byte %zu not wiped",
               wiped.size(), dirty);
}

secretmem_heap_stats heap_stats()
{
    secretmem_heap_stats s{};
    FUZZ_CHECK(secretmem_get_heap_stats(&s) == 0, "secretmem_get_heap_stats failed");
    return s;
}

bool is_heap_op(op kind)
{
    return static_cast<unsigned>(kind) <= static_cast<unsigned>(op::heap_check) ||
           kind == op::heap_fork;
}

// One thread's ops, then its cleanup; the last thread to finish frees the
// blocks still handed off.  Its caches go back to the heap as it exits.
void run_thread(const std::vector<op_record>& ops, heap_commons& commons, bool alone,
                shared_region* shared, unsigned thread, std::atomic<unsigned>& running)
{
    try {
        heap_worker heap(commons, alone);
        region_worker regions(commons.backend(), alone, shared, thread);
        for (const op_record& r : ops) {
            if (is_heap_op(r.kind)) {
                heap.run(r);
            } else if (r.kind == op::yield) {
                std::this_thread::yield();
            } else {
                regions.run(r);
            }
        }
        regions.finish();
        heap.free_all();
        if (running.fetch_sub(1) == 1) {
            for (const heap_block& b : commons.adopt_all())
                heap.check_and_free(b);
        }
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, "thread %u: %s", thread, e.what());
    }
}

std::optional<shared_region> make_shared(std::size_t size)
{
    if (size == 0)
        return std::nullopt;
    std::optional<shared_region> s(std::in_place);
    s->r = secretmem::region::allocate(size);
    s->size = size;
    const secretmem::write_window w = s->r.write();
    s->data = w.data();
    return s;
}

void check_shared(shared_region& s)
{
    const secretmem::read_window w = s.r.read();
    const std::size_t half = s.size / 2;
    for (std::size_t t = 0; t < 2; ++t) {
        const std::vector<std::byte>& want = s.expected.at(t);
        FUZZ_CHECK(want.size() == half && std::equal(want.begin(), want.end(), w.data() + t * half),
                   "half %zu of the shared region lost its contents", t);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/)
{
    secretmem::testing::set_release_observer(check_wiped);
    void* p = secretmem_malloc(1);
    FUZZ_CHECK(p != nullptr, "no secret heap: %s", secretmem_heap_error());
    secretmem_free(p);
    backend = heap_stats().backend;
    const secretmem::region r = secretmem::region::allocate(1);
    FUZZ_CHECK(to_string(r.backend()) == backend, "the SDK chose %s, the heap %s",
               to_string(r.backend()).data(), backend.c_str());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const op_plan plan = decode_ops({data, size});
    const secretmem_heap_stats before = heap_stats();
    heap_commons commons(backend);
    std::optional<shared_region> shared = make_shared(plan.shared_size);
    std::atomic<unsigned> running{plan.threads};
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 0; t < plan.threads; ++t) {
            threads.emplace_back(run_thread, std::cref(plan.ops.at(t)), std::ref(commons),
                                 plan.threads == 1, shared ? &*shared : nullptr, t,
                                 std::ref(running));
        }
    }
    if (shared) {
        check_shared(*shared);
        shared.reset();
    }
    const secretmem_heap_stats after = heap_stats();
    FUZZ_CHECK(after.allocated_bytes == before.allocated_bytes,
               "every block freed, yet %llu bytes allocated, %llu before the input",
               static_cast<unsigned long long>(after.allocated_bytes),
               static_cast<unsigned long long>(before.allocated_bytes));
    FUZZ_CHECK(after.mapped_bytes >= before.mapped_bytes, "the heap unmapped secret memory");
    return 0;
}
