/* SPDX-License-Identifier: MIT */
/*
 * Bytes in use and the most ever in use, for one of OpenSSL's heaps.  A
 * block of one heap may come back through the other's free (both live in
 * the secret heap, and OpenSSL's callers are not always careful): the count
 * then saturates at zero rather than wrap.
 */
#ifndef SECRETMEM_OPENSSL_HEAP_USAGE_H
#define SECRETMEM_OPENSSL_HEAP_USAGE_H

#include <stdatomic.h>
#include <stdint.h>

struct heap_usage {
    _Atomic uint64_t allocations;
    _Atomic uint64_t in_use;
    _Atomic uint64_t peak;
};

static inline void usage_add(struct heap_usage* u, uint64_t size)
{
    atomic_fetch_add_explicit(&u->allocations, 1, memory_order_relaxed);
    const uint64_t now = atomic_fetch_add_explicit(&u->in_use, size, memory_order_relaxed) + size;
    uint64_t seen = atomic_load_explicit(&u->peak, memory_order_relaxed);
    while (now > seen && !atomic_compare_exchange_weak_explicit(
                             &u->peak, &seen, now, memory_order_relaxed, memory_order_relaxed)) {
    }
}

static inline void usage_remove(struct heap_usage* u, uint64_t size)
{
    uint64_t now = atomic_load_explicit(&u->in_use, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&u->in_use, &now, now > size ? now - size : 0,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

#endif /* SECRETMEM_OPENSSL_HEAP_USAGE_H */
