/*
 * script.c - EVAL, EVALSHA, their _RO forms and SCRIPT (see script.h): the
 * script cache, running a script, and the busy state SCRIPT KILL ends.
 *
 * Cached scripts are compiled functions kept in a registry table of the
 * Lua state, keyed by their SHA-1; SCRIPT FLUSH throws the whole state
 * away, as Redis does, so nothing a script left behind survives it.
 */
#include "script/script.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "persist/propagate.h"
#include "script/script_int.h"
#include "script/sha1.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/handler.h"
#include "server/reply.h"

#define SCRIPTS_KEY "pairdb_scripts"

static lua_State *lua;
static client *script_client;

static lua_State *state(void) {
    if (!lua) {
        lua = slua_new();
        lua_newtable(lua);
        lua_setfield(lua, LUA_REGISTRYINDEX, SCRIPTS_KEY);
    }
    return lua;
}

void script_free_all(void) {
    if (lua) lua_close(lua);
    lua = NULL;
    if (script_client) client_free_internal(script_client);
    script_client = NULL;
}

int script_busy(void) {
    return script_current && script_current->timedout;
}

int script_allowed_while_busy(const command *cmd) {
    return (cmd->flags & CMD_ALLOW_BUSY) != 0;
}

/* ---- the cache ---- */

/* Pushes the cached function for sha (40 hex digits, any case); 0 when absent. */
static int push_cached(const char *sha, size_t len) {
    char lower[41];
    if (len != 40) return 0;
    for (int i = 0; i < 40; i++)
        lower[i] = (char)(sha[i] >= 'A' && sha[i] <= 'Z' ? sha[i] + 32 : sha[i]);
    lower[40] = '\0';
    lua_State *L = state();
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
    lua_getfield(L, -1, lower);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    return 0;
}

/* Compiles body and caches it under its SHA-1 (written to sha). Returns 0,
 * or -1 after replying the compile error. The function is left pushed. */
static int load_script(client *c, const char *body, size_t len, char sha[41]) {
    sha1_hex(body, len, sha);
    if (push_cached(sha, 40)) return 0;
    lua_State *L = state();
    if (luaL_loadbuffer(L, body, len, "@user_script") != 0) {
        reply_errorf(c, "ERR Error compiling script (new function): %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SLUA_GLOBALS_PROXY);
    lua_setfenv(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, sha);
    lua_pop(L, 1);
    return 0;
}

/* ---- running ---- */

/* KEYS and ARGV, set with rawset: the globals table is readonly to scripts. */
static void set_global_array(lua_State *L, const char *name, const resp_arg *argv, int n) {
    lua_pushstring(L, name);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, argv[i].ptr, argv[i].len);
        lua_rawseti(L, -2, i + 1);
    }
    lua_rawset(L, LUA_GLOBALSINDEX); /* the real table, under the proxy */
}

static void reply_script_error(client *c, lua_State *L, const char *sha) {
    if (!lua_istable(L, -1)) {
        const char *msg = lua_tostring(L, -1);
        reply_errorf(c, "ERR Error running script, %s script: %s", msg ? msg : "unknown error",
                     sha);
        return;
    }
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    const char *err = lua_tostring(L, -3);
    const char *source = lua_tostring(L, -2);
    if (err && err[0] == '-') err++;
    if (source && lua_isnumber(L, -1))
        reply_errorf(c, "%s script: %s, on %s:%d.", err ? err : "ERR unknown error", sha, source,
                     (int)lua_tointeger(L, -1));
    else
        reply_errorf(c, "%s script: %s", err ? err : "ERR unknown error", sha);
    lua_pop(L, 3);
}

/* Runs the function on top of the stack for c; pops it. */
static void run_function(client *c, const char *sha, int readonly, int nkeys, const resp_arg *keys,
                         int nargs, const resp_arg *args) {
    lua_State *L = state();
    if (!script_client) script_client = client_create_internal();
    client *sc = script_client;
    sc->flags = CLIENT_SCRIPT;
    sc->db = c->db;
    sc->dbid = c->dbid;
    sc->resp = 2;

    script_run run = {.caller = c, .sc = sc, .readonly = readonly, .start_ms = clock_now_ms()};
    memcpy(run.sha, sha, 41);
    set_global_array(L, "KEYS", keys, nkeys);
    set_global_array(L, "ARGV", args, nargs);
    slua_reset_random();
    slua_push_error_handler(L);
    lua_insert(L, -2);
    int base = lua_gettop(L) - 1; /* the handler's slot */
    script_current = &run;
    slua_install_hook(L);
    int rc = lua_pcall(L, 0, 1, base);
    lua_sethook(L, NULL, 0, 0);
    script_current = NULL;
    if (rc != 0)
        reply_script_error(c, L, sha);
    else
        slua_reply(c, L, sc->resp);
    lua_settop(L, base - 1);
    /* What the script left over the stack limit is garbage now. */
    lua_gc(L, LUA_GCSTEP, 1);
}

/* numkeys as EVAL checks it; -1 after replying an error. */
static int parse_numkeys(client *c) {
    long long n;
    if (arg_ll(c, &c->argv[2], &n) < 0) return -1;
    if (n < 0) {
        reply_error(c, "ERR Number of keys can't be negative");
        return -1;
    }
    if (n > c->argc - 3) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return -1;
    }
    return (int)n;
}

static void eval_generic(client *c, int by_sha, int readonly) {
    int nkeys = parse_numkeys(c);
    if (nkeys < 0) return;
    /* EVAL itself is never logged: only the commands the script ran are,
     * each on its own. */
    propagate_suppress();
    char sha[41];
    if (by_sha) {
        if (!push_cached(c->argv[1].ptr, c->argv[1].len)) {
            reply_error(c, "NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        for (int i = 0; i < 40; i++) {
            char ch = c->argv[1].ptr[i];
            sha[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        sha[40] = '\0';
    } else if (load_script(c, c->argv[1].ptr, c->argv[1].len, sha) < 0) {
        return;
    }
    run_function(c, sha, readonly, nkeys, c->argv + 3, c->argc - 3 - nkeys, c->argv + 3 + nkeys);
}

static void eval_command(client *c) {
    eval_generic(c, 0, 0);
}
static void evalsha_command(client *c) {
    eval_generic(c, 1, 0);
}
static void eval_ro_command(client *c) {
    eval_generic(c, 0, 1);
}
static void evalsha_ro_command(client *c) {
    eval_generic(c, 1, 1);
}

/* ---- SCRIPT ---- */

static void script_load_cmd(client *c) {
    char sha[41];
    if (load_script(c, c->argv[2].ptr, c->argv[2].len, sha) < 0) return;
    lua_pop(state(), 1);
    reply_bulk(c, sha, 40);
}

static void script_exists_cmd(client *c) {
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        int found = push_cached(c->argv[i].ptr, c->argv[i].len);
        if (found) lua_pop(state(), 1);
        reply_int(c, found);
    }
}

static void script_flush_cmd(client *c) {
    if (c->argc > 3 ||
        (c->argc == 3 && !arg_is(&c->argv[2], "sync") && !arg_is(&c->argv[2], "async"))) {
        reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    if (lua) lua_close(lua);
    lua = NULL;
    reply_ok(c);
}

static void script_kill_cmd(client *c) {
    if (!script_current) {
        reply_error(c, "NOTBUSY No scripts in execution right now.");
    } else if (script_current->wrote) {
        reply_error(c, "UNKILLABLE Sorry the script already executed write commands against the "
                       "dataset. You can either wait the script termination or kill the server in "
                       "a hard way using the SHUTDOWN NOSAVE command.");
    } else {
        script_current->kill_requested = 1;
        reply_ok(c);
    }
}

static void script_help_cmd(client *c) {
    static const char *const help[] = {
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        NULL};
    reply_help(c, help);
}

/* Keys of EVAL: numkeys at argv[2], the keys after it; none when numkeys
 * is malformed or too large (EVAL itself reports that). */
static int eval_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    if (argc < 3) return 0;
    char buf[24];
    size_t n = argv[2].len < sizeof buf - 1 ? argv[2].len : sizeof buf - 1;
    memcpy(buf, argv[2].ptr, n);
    buf[n] = '\0';
    char *end;
    long long nk = strtoll(buf, &end, 10);
    if (*end || n == 0 || nk < 0 || nk > argc - 3) return 0;
    int got = 0;
    for (long long i = 0; i < nk && got < max; i++)
        keys[got++] = 3 + (int)i;
    return got;
}

#define EVAL_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_STALE)
#define SCRIPT_SUB_FLAGS (CMD_NOSCRIPT)

static command script_subcommands[] = {
    {.name = "load",
     .proc = script_load_cmd,
     .arity = 3,
     .flags = SCRIPT_SUB_FLAGS | CMD_STALE,
     .acl = ACL_SCRIPTING,
     .summary = "Loads a server-side Lua script to the script cache.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "O(N) with N being the length in bytes of the script body."},
    {.name = "exists",
     .proc = script_exists_cmd,
     .arity = -3,
     .flags = SCRIPT_SUB_FLAGS,
     .acl = ACL_SCRIPTING,
     .summary = "Determines whether server-side Lua scripts exist in the script cache.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "O(N) with N being the number of scripts to check (so checking a single script "
                   "is an O(1) operation)."},
    {.name = "flush",
     .proc = script_flush_cmd,
     .arity = -2,
     .flags = SCRIPT_SUB_FLAGS,
     .acl = ACL_SCRIPTING,
     .summary = "Removes all server-side Lua scripts from the script cache.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "O(N) with N being the number of scripts in cache"},
    {.name = "kill",
     .proc = script_kill_cmd,
     .arity = 2,
     .flags = SCRIPT_SUB_FLAGS | CMD_ALLOW_BUSY,
     .acl = ACL_SCRIPTING,
     .summary = "Terminates a server-side Lua script during execution.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "O(1)"},
    {.name = "help",
     .proc = script_help_cmd,
     .arity = 2,
     .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_SCRIPTING,
     .summary = "Returns helpful text about the different subcommands.",
     .since = "5.0.0",
     .group = "scripting",
     .complexity = "O(1)"},
    {.name = NULL},
};

static command script_commands[] = {
    {.name = "eval",
     .proc = eval_command,
     .arity = -3,
     .flags = EVAL_FLAGS,
     .acl = ACL_SCRIPTING,
     .getkeys = eval_getkeys,
     .summary = "Executes a server-side Lua script.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "evalsha",
     .proc = evalsha_command,
     .arity = -3,
     .flags = EVAL_FLAGS,
     .acl = ACL_SCRIPTING,
     .getkeys = eval_getkeys,
     .summary = "Executes a server-side Lua script by SHA1 digest.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "eval_ro",
     .proc = eval_ro_command,
     .arity = -3,
     .flags = EVAL_FLAGS | CMD_READONLY,
     .acl = ACL_SCRIPTING,
     .getkeys = eval_getkeys,
     .summary = "Executes a read-only server-side Lua script.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "evalsha_ro",
     .proc = evalsha_ro_command,
     .arity = -3,
     .flags = EVAL_FLAGS | CMD_READONLY,
     .acl = ACL_SCRIPTING,
     .getkeys = eval_getkeys,
     .summary = "Executes a read-only server-side Lua script by SHA1 digest.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "script",
     .arity = -2,
     .summary = "A container for Lua scripts management commands.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "Depends on subcommand.",
     .subcommands = script_subcommands},
    {.name = NULL},
};

void script_register(void) {
    command_register(script_commands);
}
