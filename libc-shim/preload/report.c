/* SPDX-License-Identifier: MIT */
/*
 * SECRETMEM_PRELOAD_REPORT=1: one line on stderr as the program exits,
 * saying where its secrets were kept, for the person (or test) that ran it.
 */
#include "general_heap.h"
#include "preload_mode.h"
#include "secure_heap.h"

#include <secretmem/alloc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((destructor)) static void report_at_exit(void)
{
    const char* wanted = getenv("SECRETMEM_PRELOAD_REPORT");
    if (wanted == NULL || strcmp(wanted, "1") != 0)
        return;
    struct secretmem_heap_stats heap;
    struct secure_heap_usage secure;
    if (secretmem_get_heap_stats(&heap) != 0)
        return;
    secure_heap_usage(&secure);
    char line[512];
    const int n = snprintf(
        line, sizeof line,
        "secretmem-preload: mode=%s backend=%s degraded=%s mapped=%llu allocated=%llu "
        "metadata=%llu secure_heap_allocs=%llu secure_heap_peak=%llu openssl_heap=%s "
        "openssl_heap_peak=%llu\n",
        preload_mode_name(preload_mode()), heap.backend != NULL ? heap.backend : "none",
        heap.degraded ? "yes" : "no", (unsigned long long)heap.mapped_bytes,
        (unsigned long long)heap.allocated_bytes, (unsigned long long)heap.metadata_bytes,
        (unsigned long long)secure.allocations, (unsigned long long)secure.peak,
        general_heap_state_name(general_heap_state()), (unsigned long long)general_heap_peak());
    /* One write: the line must not interleave with the program's output. */
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
