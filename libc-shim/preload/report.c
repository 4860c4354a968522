/* SPDX-License-Identifier: MIT */
/*
 * SECRETMEM_PRELOAD_REPORT=1: one line as the program exits, saying where its
 * secrets were kept, for the person (or test) that ran it:
 *
 *   secretmem-preload: mode=... backend=... ... openssl_heap_peak=N ... pid=P comm=NAME
 *
 * Fields are only ever added just before pid and comm, which stay last, so
 * that parsers of the older line keep working.  pid and comm tell apart the
 * reports of a program and of the processes it started, which inherit the
 * variables.
 *
 * The line goes to standard error, or to file descriptor N with
 * SECRETMEM_PRELOAD_REPORT_FD=N: there a supervisor (secretmem run) reads
 * every process's report without standing between the program and its
 * standard error.  N must be the file it was when the process started: a
 * program that closed it and opened something else there must not get the
 * line in its own file, so then, and when N is closed, the line goes to
 * standard error rather than nowhere.
 */
#include "general_heap.h"
#include "preload_mode.h"
#include "secure_heap.h"

#include <secretmem/alloc.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for the longest comm /proc gives (15 bytes) and then some, for
 * program_invocation_short_name, which is not truncated. */
enum { NAME_MAX_BYTES = 64 };

/* Where the line goes: set at start, when N is still the inherited file. */
static int report_fd = STDERR_FILENO;
static dev_t report_dev;
static ino_t report_ino;

/* SECRETMEM_PRELOAD_REPORT_FD's number, or -1 when it is unset or not one. */
static int requested_fd(void)
{
    const char* text = getenv("SECRETMEM_PRELOAD_REPORT_FD");
    if (text == NULL || *text == '\0')
        return -1;
    long n = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
        if (n > INT_MAX)
            return -1;
    }
    return (int)n;
}

__attribute__((constructor)) static void find_report_fd(void)
{
    const int fd = requested_fd();
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return; /* standard error, then */
    report_fd = fd;
    report_dev = st.st_dev;
    report_ino = st.st_ino;
}

/* The requested descriptor if it still holds the file it held at start. */
static int current_report_fd(void)
{
    struct stat st;
    if (report_fd == STDERR_FILENO || fstat(report_fd, &st) != 0 || st.st_dev != report_dev ||
        st.st_ino != report_ino)
        return STDERR_FILENO;
    return report_fd;
}

/*
 * The process's name, one word a space-splitting parser keeps whole: what
 * the kernel calls it (the file it executed, or what it set with
 * PR_SET_NAME), else what glibc took from argv[0] (no /proc).  Spaces, '='
 * and control characters become '_'.
 */
static void process_name(char* name, size_t size)
{
    ssize_t n = -1;
    const int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, name, size - 1);
        (void)close(fd);
    }
    if (n > 0 && name[n - 1] == '\n')
        --n;
    if (n <= 0) {
        n = (ssize_t)strnlen(program_invocation_short_name, size - 1);
        memcpy(name, program_invocation_short_name, (size_t)n);
    }
    if (n == 0)
        name[n++] = '?';
    name[n] = '\0';
    for (char* c = name; *c != '\0'; ++c) {
        if ((unsigned char)*c <= ' ' || *c == '=' || *c == 0x7f)
            *c = '_';
    }
}

/*
 * One write() for the whole line: reports of processes sharing the file (a
 * program and its children, one open file description) must not interleave,
 * nor the line with the program's own output on standard error.
 */
static void write_line(const char* line, size_t length)
{
    const int fd = current_report_fd();
    ssize_t n = 0;
    do {
        n = write(fd, line, length);
    } while (n < 0 && errno == EINTR);
    /* Closed in the window after the check, or not open for writing. */
    if (n < 0 && errno == EBADF && fd != STDERR_FILENO)
        (void)!write(STDERR_FILENO, line, length);
}

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
    char name[NAME_MAX_BYTES];
    process_name(name, sizeof name);
    /* Ten numbers of at most 20 digits, the names and the keys: well inside. */
    char line[512];
    const int n = snprintf(
        line, sizeof line,
        "secretmem-preload: mode=%s backend=%s degraded=%s mapped=%llu allocated=%llu "
        "metadata=%llu secure_heap_allocs=%llu secure_heap_peak=%llu openssl_heap=%s "
        "openssl_heap_peak=%llu openssl_mem_functions=%s pid=%ld comm=%s\n",
        preload_mode_name(preload_mode()), heap.backend != NULL ? heap.backend : "none",
        heap.degraded ? "yes" : "no", (unsigned long long)heap.mapped_bytes,
        (unsigned long long)heap.allocated_bytes, (unsigned long long)heap.metadata_bytes,
        (unsigned long long)secure.allocations, (unsigned long long)secure.peak,
        general_heap_state_name(general_heap_state()), (unsigned long long)general_heap_peak(),
        general_heap_refused_custom_functions() ? "refused" : "ours", (long)getpid(), name);
    /* A cut line would lose its end of line: better none than a broken one. */
    if (n > 0 && (size_t)n < sizeof line)
        write_line(line, (size_t)n);
}
