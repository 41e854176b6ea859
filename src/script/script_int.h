/*
 * script_int.h - what script.c (commands, cache, busy state) and
 * script_lua.c (the Lua state, the redis library, conversions) share.
 */
#ifndef PAIRDB_SCRIPT_INT_H
#define PAIRDB_SCRIPT_INT_H

#include <lua.h>

#include "proto/resp.h"

struct client;

/* Flags a script declares: an EVAL shebang ("#!lua flags=no-writes") or
 * redis.register_function{flags=...}. Names in script_flag_names order. */
enum {
    SCRIPT_FLAG_NO_WRITES = 1 << 0,
    SCRIPT_FLAG_ALLOW_OOM = 1 << 1,
    SCRIPT_FLAG_ALLOW_STALE = 1 << 2,
    SCRIPT_FLAG_NO_CLUSTER = 1 << 3,
    SCRIPT_FLAG_ALLOW_CROSS_SLOT = 1 << 4,
    SCRIPT_FLAG_COUNT = 5,
    /* An EVAL script without a shebang: Redis 6's rules (it may write, and
     * is refused under OOM only once it tries a write). */
    SCRIPT_FLAG_EVAL_COMPAT = 1 << 8,
};
extern const char *const script_flag_names[SCRIPT_FLAG_COUNT];
/* The SCRIPT_FLAG_* bit named s, 0 if none. */
int script_flag_by_name(const char *s, size_t len);

/* The script being run, NULL between scripts. */
typedef struct script_run {
    struct client *caller;
    struct client *sc;  /* the script's own client */
    int flags;          /* SCRIPT_FLAG_* */
    int readonly;       /* EVAL_RO / EVALSHA_RO / FCALL_RO or no-writes */
    int is_function;    /* FCALL: only FUNCTION KILL ends it */
    int wrote;          /* a write command ran */
    int timedout;       /* past busy-reply-threshold: the server is busy */
    int kill_requested; /* SCRIPT KILL / FUNCTION KILL */
    long long start_ms;
    const char *name;   /* the SHA-1 or the function's name, for errors */
} script_run;

extern script_run *script_current;

/* Registry key of the readonly proxy of the globals that scripts run with. */
#define SLUA_GLOBALS_PROXY "pairdb_globals_proxy"

/* A sandboxed state with the redis, cjson and bit libraries, whose
 * allocator counts its bytes (see "memory" below). */
lua_State *slua_new(void);
/* Closes a state made by slua_new and frees its accounting. */
void slua_close(lua_State *L);

/*
 * Memory: lua-memory-limit bounds what a state may hold while user code
 * runs in it. A refused allocation raises Lua's memory error, which is
 * only safe inside a protected call, so the allocator refuses only while
 * the state is "enforcing": from slua_limit_enter to slua_limit_leave,
 * which bracket nothing but lua_pcall and protected compilation. Server
 * code that touches a state outside them (set-up, KEYS and ARGV, the
 * registry, reply conversion, GC steps) can never fail for the limit;
 * C code inside a run that must not be cut short (redis.call's command
 * and reply building, cjson's C buffers) suspends the limit and raises
 * the memory error afterwards, once its state is whole again.
 */
/* Bytes the state holds now. */
size_t slua_memory(lua_State *L);
/* Before a run: reads lua-memory-limit, paces the collector for it, and
 * collects garbage first when the state is past half of it (and grew
 * since the last such collection), so garbage of earlier runs does not
 * make this one fail. */
void slua_limit_prepare(lua_State *L);
/* Starts and stops enforcing the limit on L. */
void slua_limit_enter(lua_State *L);
void slua_limit_leave(lua_State *L);
/* luaL_loadbuffer under the limit (compilation is protected by Lua). */
int slua_load(lua_State *L, const char *buf, size_t len, const char *chunkname);
/* The text a run that ran out of memory answers with (after "ERR "). */
#define SLUA_OOM_TEXT "not enough memory, lua-memory-limit reached"
/* Pushes the error handler EVAL runs functions under (adds the script
 * position to errors and makes them {err=...} tables). */
void slua_push_error_handler(lua_State *L);
/* Answers c with the Lua value at the top of the stack (left there), as
 * Redis converts it; script_resp is the protocol the script chose. */
void slua_reply(struct client *c, lua_State *L, int script_resp);
/* Called from the count hook: serves the loop once busy, raises the kill. */
void slua_install_hook(lua_State *L);
/* Raises {err=msg}, the form of every error of the redis library. */
int slua_raise(lua_State *L, const char *msg);
/* redis.log(level, ...). */
int slua_log(lua_State *L);
/* Replaces the table on top by a readonly proxy of it whose unknown names
 * are errors ("Script attempted to access nonexistent global variable"). */
void slua_make_globals_proxy(lua_State *L);
/* Seeds the math.random generator (every script starts from the same seed). */
void slua_reset_random(void);

/* The checks a script with declared flags gets before it runs (Redis
 * 7): a *_RO command needs no-writes; a script that may write is refused
 * under OOM (unless allow-oom) and while the log refuses writes. Replies
 * and returns -1 when refused. */
int script_check_flags(struct client *c, int flags, int ro_command);
/* Runs the Lua function on top of L's stack for c and replies; pops it.
 * EVAL passes keys and args as the globals KEYS and ARGV
 * (as_params 0), FCALL as the function's two parameters. */
void script_call(lua_State *L, struct client *c, script_run *run, int nkeys, const resp_arg *keys,
                 int nargs, const resp_arg *args, int as_params);
/* numkeys at argv[2] as EVAL (fcall 0) and FCALL (1) check it; -1 after
 * replying. */
int script_parse_numkeys(struct client *c, int fcall);
/* Key positions of EVAL and FCALL (numkeys at argv[2], the keys after it). */
int script_numkeys_getkeys(int argc, const resp_arg *argv, int *keys, int max);
/* The kill both SCRIPT KILL and FUNCTION KILL perform. */
void script_kill(struct client *c, int is_function);

/* Functions (function.c). */
void function_register(void);

#endif
