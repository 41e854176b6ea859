/*
 * script_int.h - what script.c (commands, cache, busy state) and
 * script_lua.c (the Lua state, the redis library, conversions) share.
 */
#ifndef PAIRDB_SCRIPT_INT_H
#define PAIRDB_SCRIPT_INT_H

#include <lua.h>

struct client;

/* The script being run, NULL between scripts. */
typedef struct script_run {
    struct client *caller;
    struct client *sc;  /* the script's own client */
    int readonly;       /* EVAL_RO / EVALSHA_RO */
    int wrote;          /* a write command ran */
    int timedout;       /* past busy-reply-threshold: the server is busy */
    int kill_requested; /* SCRIPT KILL */
    long long start_ms;
    char sha[41];
} script_run;

extern script_run *script_current;

/* Registry key of the readonly proxy of the globals that scripts run with. */
#define SLUA_GLOBALS_PROXY "pairdb_globals_proxy"

/* A sandboxed state with the redis, cjson and bit libraries. */
lua_State *slua_new(void);
/* Pushes the error handler EVAL runs functions under (adds the script
 * position to errors and makes them {err=...} tables). */
void slua_push_error_handler(lua_State *L);
/* Answers c with the Lua value at the top of the stack (left there), as
 * Redis converts it; script_resp is the protocol the script chose. */
void slua_reply(struct client *c, lua_State *L, int script_resp);
/* Called from the count hook: serves the loop once busy, raises the kill. */
void slua_install_hook(lua_State *L);
/* Seeds the math.random generator (every script starts from the same seed). */
void slua_reset_random(void);

#endif
