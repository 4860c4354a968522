/* SPDX-License-Identifier: MIT */
/* SECRETMEM_PRELOAD: which allocations the preload shim makes secret. */
#ifndef SECRETMEM_PRELOAD_MODE_H
#define SECRETMEM_PRELOAD_MODE_H

enum preload_mode {
    /* Only memory asked for as secret: the secretmem API and OpenSSL's heaps
     * (openssl_heaps.c). */
    PRELOAD_EXPLICIT = 1,
    /* Every heap allocation. */
    PRELOAD_ALL,
};

/*
 * The mode, read from the environment on first use.  An unknown value ends
 * the process with a message: guessing could leave secrets in the ordinary
 * heap, or put a whole program in memory it did not plan for.
 */
enum preload_mode preload_mode(void);

/* "explicit" or "all". */
const char* preload_mode_name(enum preload_mode mode);

/* Write @message to stderr and abort: for failures that must not be silent. */
_Noreturn void preload_die(const char* message, const char* detail);

/* Write @text to stderr, without stdio (the shim runs inside malloc). */
void preload_say(const char* text);

/*
 * Environment variable @variable has a value the shim does not know: say so,
 * with @choices (what it can be set to), and exit with status 2, as a shell
 * does for a bad option.
 */
_Noreturn void preload_refuse_setting(const char* variable, const char* value, const char* choices);

#endif /* SECRETMEM_PRELOAD_MODE_H */
