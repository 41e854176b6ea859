/*
 * script.h - Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, and
 * functions (FUNCTION, FCALL, FCALL_RO: function.c).
 *
 * Scripts run Lua 5.1 in a sandbox; redis.call() runs commands through the
 * command table with a client of the script's own, whose replies are
 * collected and converted to Lua values. A script's writes reach the log as
 * the commands it ran, never as the EVAL itself.
 *
 * A script that runs past busy-reply-threshold makes the server "busy":
 * it keeps serving the event loop from inside the script, and the
 * dispatcher, through the busy gate the script sets (exec.h), refuses
 * other clients' commands with -BUSY except the kill of its kind (SCRIPT
 * KILL or FUNCTION KILL), SHUTDOWN NOSAVE and the CMD_ALLOW_BUSY ones.
 */
#ifndef PAIRDB_SCRIPT_H
#define PAIRDB_SCRIPT_H

#include <stddef.h>

struct command;

void script_register(void);
/* 1 while a script has run past busy-reply-threshold. */
int script_busy(void);
/* The -BUSY error for other clients' commands (names the kill to use). */
const char *script_busy_error(void);
/* 1 when cmd may run while a script is busy. */
int script_allowed_while_busy(const struct command *cmd);
/* Memory and counts for INFO memory. */
typedef struct script_memory_info {
    size_t eval_vm_bytes;      /* the EVAL Lua state */
    size_t function_vm_bytes;  /* the functions' Lua state */
    size_t cached_scripts;     /* EVAL / SCRIPT LOAD bodies cached */
    size_t cached_body_bytes;  /* their source bytes */
    size_t libraries, functions;
    size_t library_code_bytes; /* the libraries' source bytes */
} script_memory_info;
void script_memory(script_memory_info *out);
/* The functions' part of script_memory() (function.c). */
void function_memory(script_memory_info *out);

/* Libraries for snapshots: fn(code) for each loaded library. */
void function_foreach_library(void (*fn)(const char *code, size_t len, void *arg), void *arg);
/* A library from a snapshot (replacing one of the same name); 0, or -1
 * with the reason in err. */
int function_load_code(const char *code, size_t len, char *err, size_t errlen);
/* Drops every library (shutdown, and the snapshot fuzzer between inputs). */
void function_free_all(void);
/* Frees the Lua state and the cache (shutdown). */
void script_free_all(void);

#endif
