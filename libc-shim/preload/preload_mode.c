/* SPDX-License-Identifier: MIT */
#include "preload_mode.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char mode_variable[] = "SECRETMEM_PRELOAD";

/* Exit status for a usage error, as a shell gives for a bad option. */
enum { EXIT_USAGE = 2 };

static _Atomic int cached_mode;

void preload_say(const char* text)
{
    size_t left = strlen(text);
    while (left > 0) {
        const ssize_t n = write(STDERR_FILENO, text, left);
        if (n <= 0)
            return;
        text += n;
        left -= (size_t)n;
    }
}

/* No stdio here: this runs inside malloc, where it could come back. */
static enum preload_mode read_mode(void)
{
    const char* value = getenv(mode_variable);
    if (value == NULL || value[0] == '\0' || strcmp(value, "explicit") == 0)
        return PRELOAD_EXPLICIT;
    if (strcmp(value, "all") == 0)
        return PRELOAD_ALL;
    preload_refuse_setting(mode_variable, value,
                           "'explicit' (only the secretmem API and OpenSSL's heaps are secret; "
                           "the default) or 'all' (every heap allocation is secret)");
}

enum preload_mode preload_mode(void)
{
    int mode = atomic_load_explicit(&cached_mode, memory_order_relaxed);
    if (mode == 0) {
        mode = (int)read_mode();
        atomic_store_explicit(&cached_mode, mode, memory_order_relaxed);
    }
    return (enum preload_mode)mode;
}

const char* preload_mode_name(enum preload_mode mode)
{
    return mode == PRELOAD_ALL ? "all" : "explicit";
}

void preload_die(const char* message, const char* detail)
{
    preload_say("secretmem-preload: ");
    preload_say(message);
    if (detail != NULL) {
        preload_say(": ");
        preload_say(detail);
    }
    preload_say("\n");
    abort();
}

void preload_refuse_setting(const char* variable, const char* value, const char* choices)
{
    preload_say("secretmem-preload: ");
    preload_say(variable);
    preload_say(" is '");
    preload_say(value);
    preload_say("': set it to ");
    preload_say(choices);
    preload_say("\n");
    _exit(EXIT_USAGE);
}

/* Read the mode as the process starts, so a bad value stops it before main. */
__attribute__((constructor)) static void check_mode_at_start(void)
{
    (void)preload_mode();
}
