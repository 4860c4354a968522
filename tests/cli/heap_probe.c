/* SPDX-License-Identifier: MIT */
/*
 * cli-heap-probe secret|ordinary|fork: run by the CLI's tests under
 * `secretmem run`, it says where its own heap is.
 *
 * It mallocs a block, asks the preload shim whether the block is in the
 * secret heap (secretmem_owns, found with dlsym: this program is not linked
 * with the shim), and asks the kernel what the block's mapping is
 * (/proc/self/smaps): "/secretmem" is memfd_secret's (fd), VmFlags "sc" is
 * MAP_SECRET's (native), "lo" alone is mlock'd (locked), else ordinary.
 * It prints "shim-owns=0|1 kernel-backend=NAME" and exits 0 when the block
 * is where the argument says, 1 when not, 2 for a bad argument and 3 when
 * the shim is not loaded at all.
 *
 * fork: two processes, each exiting normally (so each reports): it forks,
 * the child probes for a secret block and exits, then the parent prints
 * "parent=PID child=PID" and does the same.  The status is 0 when both
 * blocks were secret.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WHERE_EXPECTED = 0, ELSEWHERE = 1, BAD_USAGE = 2, NO_SHIM = 3 };

struct mapping {
    int found;
    int memfd_secret; /* the mapping is of memfd_secret's file */
    int map_secret;   /* VmFlags has sc (VM_SECRET) */
    int locked;       /* VmFlags has lo (VM_LOCKED) */
};

static int has_flag(const char* flags, const char* flag)
{
    const size_t n = strlen(flag);
    for (const char* p = strstr(flags, flag); p != NULL; p = strstr(p + 1, flag)) {
        if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* The smaps entry of the mapping that holds @address. */
static struct mapping mapping_of(const void* address)
{
    struct mapping m = {0, 0, 0, 0};
    FILE* smaps = fopen("/proc/self/smaps", "re");
    if (smaps == NULL)
        return m;
    const uintptr_t a = (uintptr_t)address;
    char line[512];
    int inside = 0;
    while (fgets(line, sizeof line, smaps) != NULL) {
        unsigned long start = 0;
        unsigned long end = 0;
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            if (inside)
                break;
            inside = a >= start && a < end;
            if (inside) {
                m.found = 1;
                m.memfd_secret = strstr(line, "/secretmem") != NULL;
            }
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            m.map_secret = has_flag(line, "sc");
            m.locked = has_flag(line, "lo");
        }
    }
    fclose(smaps);
    return m;
}

static const char* kernel_backend(struct mapping m)
{
    if (!m.found)
        return "unmapped";
    if (m.memfd_secret)
        return "fd";
    if (m.map_secret)
        return "native";
    return m.locked ? "locked" : "ordinary";
}

/* Probe one block of the heap; the exit status for it. */
static int probe(int want_secret)
{
    int (*owns)(const void*) = NULL;
    void* symbol = dlsym(RTLD_DEFAULT, "secretmem_owns");
    if (symbol == NULL) {
        fputs("cli-heap-probe: secretmem_owns not found: the preload shim is not loaded\n", stderr);
        return NO_SHIM;
    }
    memcpy(&owns, &symbol, sizeof symbol);

    const size_t size = 4096;
    unsigned char* block = malloc(size);
    if (block == NULL) {
        fputs("cli-heap-probe: malloc failed\n", stderr);
        return ELSEWHERE;
    }
    memset(block, 0x5a, size); /* faulted in: a mapping with pages */
    const int owned = owns(block);
    const char* backend = kernel_backend(mapping_of(block));
    printf("shim-owns=%d kernel-backend=%s\n", owned, backend);
    const int secret = strcmp(backend, "ordinary") != 0 && strcmp(backend, "unmapped") != 0;
    free(block);
    return owned == want_secret && secret == want_secret ? WHERE_EXPECTED : ELSEWHERE;
}

static int fork_and_probe(void)
{
    fflush(stdout); /* nothing buffered twice */
    const pid_t child = fork();
    if (child < 0) {
        perror("cli-heap-probe: fork");
        return ELSEWHERE;
    }
    if (child == 0)
        exit(probe(1)); /* exit, not _exit: the shim reports from exit handlers */
    int status = 0;
    if (waitpid(child, &status, 0) != child) {
        perror("cli-heap-probe: waitpid");
        return ELSEWHERE;
    }
    printf("parent=%ld child=%ld\n", (long)getpid(), (long)child);
    const int parent = probe(1);
    if (!WIFEXITED(status))
        return ELSEWHERE;
    return WEXITSTATUS(status) != WHERE_EXPECTED ? WEXITSTATUS(status) : parent;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "fork") == 0)
        return fork_and_probe();
    if (argc != 2 || (strcmp(argv[1], "secret") != 0 && strcmp(argv[1], "ordinary") != 0)) {
        fputs("usage: cli-heap-probe secret|ordinary|fork\n", stderr);
        return BAD_USAGE;
    }
    return probe(strcmp(argv[1], "secret") == 0);
}
