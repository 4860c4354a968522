/* SPDX-License-Identifier: MIT */
/*
 * A program outside the tree, built against the installed C ABI
 * (secretmem-shim, secretmem-alloc) with nothing but pkg-config's flags.
 * The kernel probe and the secret heap must agree on the backend, a secret
 * must read back as written, and with no backend that keeps it out of the
 * direct map the heap must refuse: fail closed.
 */
#include <secretmem/alloc.h>
#include <secretmem/probe.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int fail(const char* what, const char* detail)
{
    fprintf(stderr, "c-consumer: %s%s%s\n", what, detail != NULL ? ": " : "",
            detail != NULL ? detail : "");
    return 1;
}

/* The backend the heap must pick: the best one the probe found working. */
static const char* expected_backend(const struct secretmem_probe_result* probe)
{
    if (probe->native.status == SECRETMEM_AVAILABLE)
        return "native";
    if (probe->memfd_secret.status == SECRETMEM_AVAILABLE)
        return "fd";
    return NULL;
}

/*
 * Whether the mapping holding @p is a memfd_secret file: the kernel's own
 * word that the fd backend's pages left the direct map.
 */
static int in_memfd_secret_mapping(const void* p)
{
    FILE* maps = fopen("/proc/self/maps", "r");
    if (maps == NULL)
        return 0;
    const uintptr_t address = (uintptr_t)p;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps) != NULL) {
        uintptr_t start = 0;
        uintptr_t end = 0;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && start <= address &&
            address < end) {
            found = strstr(line, "/secretmem") != NULL;
        }
    }
    fclose(maps);
    return found;
}

static int check_secret(const char* backend)
{
    enum { secret_size = 64, zeroed_count = 4, zeroed_size = 16 };
    unsigned char* secret = secretmem_malloc(secret_size);
    if (secret == NULL) {
        return fail("secretmem_malloc failed although the probe found a backend",
                    secretmem_heap_error());
    }
    for (size_t i = 0; i < secret_size; ++i)
        secret[i] = (unsigned char)(i * 7 + 1);
    int status = 0;
    for (size_t i = 0; i < secret_size && status == 0; ++i) {
        if (secret[i] != (unsigned char)(i * 7 + 1))
            status = fail("the secret did not read back as written", NULL);
    }
    unsigned char ordinary = 0;
    if (secretmem_owns(secret) != 1 || secretmem_owns(&ordinary) != 0)
        status = fail("secretmem_owns() is wrong about the heap", NULL);
    if (secretmem_usable_size(secret) < secret_size)
        status = fail("secretmem_usable_size() is smaller than the size asked for", NULL);

    struct secretmem_heap_stats stats;
    if (secretmem_get_heap_stats(&stats) != 0 || stats.backend == NULL) {
        status = fail("secretmem_get_heap_stats() names no backend", NULL);
    } else if (strcmp(stats.backend, backend) != 0) {
        status = fail("the heap is not on the backend the probe found best", stats.backend);
    } else if (stats.degraded != 0 || stats.mapped_bytes == 0) {
        status = fail("the heap says it is degraded, or maps nothing", NULL);
    }
    if (strcmp(backend, "fd") == 0 && !in_memfd_secret_mapping(secret))
        status = fail("the secret is not in a memfd_secret mapping (/proc/self/maps)", NULL);

    unsigned char* zeroed = secretmem_calloc(zeroed_count, zeroed_size);
    if (zeroed == NULL)
        status = fail("secretmem_calloc failed", secretmem_heap_error());
    for (size_t i = 0; zeroed != NULL && i < (size_t)zeroed_count * zeroed_size; ++i) {
        if (zeroed[i] != 0) {
            status = fail("secretmem_calloc returned memory that is not zero", NULL);
            break;
        }
    }
    secretmem_free(zeroed);
    secretmem_free(secret);
    if (status == 0) {
        printf("c-consumer: %d bytes on the secret heap, backend %s, read back\n", secret_size,
               backend);
    }
    return status;
}

int main(void)
{
    struct secretmem_probe_result probe;
    if (secretmem_probe(&probe) != 0)
        return fail("secretmem_probe failed", strerror(errno));
    printf("c-consumer: kernel %s: native %s, memfd_secret %s, mlock %s\n", probe.kernel_release,
           secretmem_status_name(probe.native.status),
           secretmem_status_name(probe.memfd_secret.status),
           secretmem_status_name(probe.mlock.status));

    const char* backend = expected_backend(&probe);
    if (backend != NULL)
        return check_secret(backend);

    void* refused = secretmem_malloc(64);
    if (refused != NULL) {
        secretmem_free(refused);
        return fail("secretmem_malloc succeeded with no backend out of the direct map", NULL);
    }
    if (errno != ENOMEM || secretmem_heap_error() == NULL)
        return fail("secretmem_malloc refused without ENOMEM and a reason", NULL);
    printf("c-consumer: no backend keeps memory out of the direct map here; the heap refused: %s\n",
           secretmem_heap_error());
    return 0;
}
