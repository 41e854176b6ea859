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
#include "ds/numconv.h"
#include "persist/propagate.h"
#include "script/script_int.h"
#include "script/sha1.h"
#include "server/client.h"
#include "server/clock.h"
#include "persist/wal.h"
#include "server/command.h"
#include "server/config.h"
#include "server/evict.h"
#include "server/handler.h"
#include "server/reply.h"

#define SCRIPTS_KEY "pairdb_scripts"
/* Flags of cached scripts that declared some, by SHA-1. */
#define SCRIPT_FLAGS_KEY "pairdb_script_flags"

/* Runs between two garbage-collection steps. */
#define SCRIPT_GC_PERIOD 50

static lua_State *lua;
static client *script_client;
/* Scripts in the cache and their source bytes, for INFO. */
static size_t cached_scripts, cached_body_bytes;

static lua_State *state(void) {
    if (!lua) {
        lua = slua_new();
        lua_newtable(lua);
        lua_setfield(lua, LUA_REGISTRYINDEX, SCRIPTS_KEY);
        lua_newtable(lua);
        lua_setfield(lua, LUA_REGISTRYINDEX, SCRIPT_FLAGS_KEY);
    }
    return lua;
}

void script_free_all(void) {
    if (lua) slua_close(lua);
    lua = NULL;
    function_free_all();
    if (script_client) client_free_internal(script_client);
    script_client = NULL;
}

void script_memory(script_memory_info *out) {
    memset(out, 0, sizeof *out);
    if (lua) out->eval_vm_bytes = slua_memory(lua);
    out->cached_scripts = cached_scripts;
    out->cached_body_bytes = cached_body_bytes;
    function_memory(out);
}

int script_busy(void) {
    return script_current && script_current->timedout;
}

const char *script_busy_error(void) {
    return script_current && script_current->is_function
               ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE."
               : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                 "SHUTDOWN NOSAVE.";
}

int script_allowed_while_busy(const command *cmd) {
    if (!(cmd->flags & CMD_ALLOW_BUSY)) return 0;
    /* Each kill ends only its own kind of script. */
    int is_function = script_current && script_current->is_function;
    if (strcmp(cmd->fullname, "script|kill") == 0) return !is_function;
    if (strncmp(cmd->fullname, "function|", 9) == 0) return is_function;
    return 1;
}

/* ---- flags ---- */

const char *const script_flag_names[SCRIPT_FLAG_COUNT] = {
    "no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"};

int script_flag_by_name(const char *s, size_t len) {
    for (int i = 0; i < SCRIPT_FLAG_COUNT; i++)
        if (strlen(script_flag_names[i]) == len && memcmp(script_flag_names[i], s, len) == 0)
            return 1 << i;
    return 0;
}

int script_check_flags(client *c, int flags, int ro_command) {
    if (flags & SCRIPT_FLAG_EVAL_COMPAT) return 0;
    if (flags & SCRIPT_FLAG_NO_WRITES) return 0;
    if (ro_command) {
        reply_error(c, "ERR Can not execute a script with write flag using *_ro command.");
        return -1;
    }
    const char *refused = wal_writes_refused();
    if (refused) {
        reply_errorf(c, "MISCONF %s", refused);
        return -1;
    }
    if (!(flags & SCRIPT_FLAG_ALLOW_OOM) && cfg->maxmemory && evict_perform() != EVICT_OK) {
        reply_error(c, "OOM command not allowed when used memory > 'maxmemory'.");
        return -1;
    }
    return 0;
}

/* Splits off an EVAL shebang ("#!lua flags=no-writes,allow-oom"): *flags
 * gets the declared flags, or SCRIPT_FLAG_EVAL_COMPAT without one, and
 * *skip the length of the line (the newline stays, for line numbers).
 * Returns -1 after replying Redis's error for a malformed line. */
static int parse_shebang(client *c, const char *body, size_t len, int *flags, size_t *skip) {
    *flags = SCRIPT_FLAG_EVAL_COMPAT;
    *skip = 0;
    if (len < 2 || body[0] != '#' || body[1] != '!') return 0;
    const char *nl = memchr(body, '\n', len);
    size_t line = nl ? (size_t)(nl - body) : len;
    *skip = line;
    *flags = 0;
    size_t pos = 0;
    for (int part = 0; pos < line; part++) {
        while (pos < line && body[pos] == ' ') pos++;
        if (pos >= line) break;
        size_t b = pos;
        while (pos < line && body[pos] != ' ') pos++;
        const char *w = body + b;
        int wl = (int)(pos - b);
        if (part == 0) {
            if (wl != 5 || memcmp(w, "#!lua", 5) != 0) {
                reply_errorf(c, "ERR Unexpected engine in script shebang: %.*s", wl, w);
                return -1;
            }
        } else if (wl >= 6 && memcmp(w, "flags=", 6) == 0) {
            for (int f = 6; f < wl;) {
                int e = f;
                while (e < wl && w[e] != ',') e++;
                int bit = script_flag_by_name(w + f, (size_t)(e - f));
                if (!bit && e > f) {
                    reply_errorf(c, "ERR Unexpected flag in script shebang: %.*s", e - f, w + f);
                    return -1;
                }
                *flags |= bit;
                f = e + 1;
            }
        } else {
            reply_errorf(c, "ERR Unknown lua shebang option: %.*s", wl, w);
            return -1;
        }
    }
    return 0;
}

/* ---- the cache ---- */

/* Scripts with a shebang have an entry in SCRIPT_FLAGS_KEY; counted so
 * EVALSHA of a plain script skips the lookup. */
static long flagged_scripts;

static void to_lower_sha(const char *sha, char lower[41]) {
    for (int i = 0; i < 40; i++)
        lower[i] = (char)(sha[i] >= 'A' && sha[i] <= 'Z' ? sha[i] + 32 : sha[i]);
    lower[40] = '\0';
}

/* Pushes the cached function for sha (40 hex digits, any case); 0 when absent. */
static int push_cached(const char *sha, size_t len) {
    char lower[41];
    if (len != 40) return 0;
    to_lower_sha(sha, lower);
    lua_State *L = state();
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
    lua_getfield(L, -1, lower);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    return 0;
}

static int cached_flags(const char *lower_sha) {
    if (flagged_scripts == 0) return SCRIPT_FLAG_EVAL_COMPAT;
    lua_State *L = state();
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_FLAGS_KEY);
    lua_getfield(L, -1, lower_sha);
    int flags = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : SCRIPT_FLAG_EVAL_COMPAT;
    lua_pop(L, 2);
    return flags;
}

/* Compiles body and caches it under its SHA-1 (written to sha). Returns 0,
 * or -1 after replying the error. The function is left pushed and *flags
 * holds what its shebang declared. */
static int load_script(client *c, const char *body, size_t len, char sha[41], int *flags) {
    size_t skip;
    if (parse_shebang(c, body, len, flags, &skip) < 0) return -1;
    sha1_hex(body, len, sha);
    if (push_cached(sha, 40)) return 0;
    lua_State *L = state();
    if (slua_load(L, body + skip, len - skip, "@user_script") != 0) {
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
    cached_scripts++;
    cached_body_bytes += len;
    if (!(*flags & SCRIPT_FLAG_EVAL_COMPAT)) {
        lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_FLAGS_KEY);
        lua_pushinteger(L, *flags);
        lua_setfield(L, -2, sha);
        lua_pop(L, 1);
        flagged_scripts++;
    }
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

static void push_array(lua_State *L, const resp_arg *argv, int n) {
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, argv[i].ptr, argv[i].len);
        lua_rawseti(L, -2, i + 1);
    }
}

static void reply_script_error(client *c, lua_State *L, const char *name) {
    if (!lua_istable(L, -1)) {
        const char *msg = lua_tostring(L, -1);
        reply_errorf(c, "ERR Error running script, %s script: %s", msg ? msg : "unknown error",
                     name);
        return;
    }
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    const char *err = lua_tostring(L, -3);
    const char *source = lua_tostring(L, -2);
    if (err && err[0] == '-') err++;
    if (source && lua_isnumber(L, -1))
        reply_errorf(c, "%s script: %s, on %s:%d.", err ? err : "ERR unknown error", name, source,
                     (int)lua_tointeger(L, -1));
    else
        reply_errorf(c, "%s script: %s", err ? err : "ERR unknown error", name);
    lua_pop(L, 3);
}

void script_call(lua_State *L, client *c, script_run *run, int nkeys, const resp_arg *keys,
                 int nargs, const resp_arg *args, int as_params) {
    if (!script_client) script_client = client_create_internal();
    client *sc = script_client;
    sc->flags = CLIENT_SCRIPT;
    sc->db = c->db;
    sc->dbid = c->dbid;
    sc->resp = 2;
    run->caller = c;
    run->sc = sc;
    run->start_ms = clock_cmd_ms(); /* the calling command's own time */
    if (run->flags & SCRIPT_FLAG_NO_WRITES) run->readonly = 1;
    slua_limit_prepare(L);
    int nparams = 0;
    if (as_params) {
        push_array(L, keys, nkeys);
        push_array(L, args, nargs);
        nparams = 2;
    } else {
        set_global_array(L, "KEYS", keys, nkeys);
        set_global_array(L, "ARGV", args, nargs);
    }
    slua_reset_random();
    slua_push_error_handler(L);
    lua_insert(L, -2 - nparams);
    int base = lua_gettop(L) - 1 - nparams; /* the handler's slot */
    script_current = run;
    slua_install_hook(L);
    slua_limit_enter(L);
    int rc = lua_pcall(L, nparams, 1, base);
    slua_limit_leave(L);
    lua_sethook(L, NULL, 0, 0);
    script_current = NULL;
    if (rc == LUA_ERRMEM)
        reply_errorf(c, "ERR Error running script: " SLUA_OOM_TEXT " script: %s", run->name);
    else if (rc != 0)
        reply_script_error(c, L, run->name);
    else
        slua_reply(c, L, sc->resp);
    lua_settop(L, base - 1);
    if (rc == LUA_ERRMEM) {
        /* What the script built is garbage now: give it back at once. */
        lua_gc(L, LUA_GCCOLLECT, 0);
        return;
    }
    /* Garbage is collected in a larger step every SCRIPT_GC_PERIOD runs:
     * a step after every run costs more than the scripts themselves, and
     * letting Lua pick its own time makes one run pay for a full cycle. */
    static int runs;
    if (++runs >= SCRIPT_GC_PERIOD) {
        lua_gc(L, LUA_GCSTEP, SCRIPT_GC_PERIOD);
        runs = 0;
    }
}

/* numkeys as EVAL checks it; -1 after replying an error. */
int script_parse_numkeys(client *c, int fcall) {
    long long n;
    if (fcall) {
        /* FCALL words a malformed count its own way. */
        if (!numconv_str2ll(c->argv[2].ptr, c->argv[2].len, &n)) {
            reply_error(c, "ERR Bad number of keys provided");
            return -1;
        }
    } else if (arg_ll(c, &c->argv[2], &n) < 0) {
        return -1;
    }
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
    int nkeys = script_parse_numkeys(c, 0);
    if (nkeys < 0) return;
    /* EVAL itself is never logged: only the commands the script ran are,
     * each on its own. */
    propagate_suppress();
    char sha[41];
    int flags;
    if (by_sha) {
        if (!push_cached(c->argv[1].ptr, c->argv[1].len)) {
            reply_error(c, "NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        to_lower_sha(c->argv[1].ptr, sha);
        flags = cached_flags(sha);
    } else if (load_script(c, c->argv[1].ptr, c->argv[1].len, sha, &flags) < 0) {
        return;
    }
    if (script_check_flags(c, flags, readonly) < 0) {
        lua_pop(state(), 1);
        return;
    }
    script_run run = {.readonly = readonly, .flags = flags, .name = sha};
    script_call(state(), c, &run, nkeys, c->argv + 3, c->argc - 3 - nkeys, c->argv + 3 + nkeys, 0);
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
    int flags;
    if (load_script(c, c->argv[2].ptr, c->argv[2].len, sha, &flags) < 0) return;
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
    if (lua) slua_close(lua);
    lua = NULL;
    flagged_scripts = 0;
    cached_scripts = cached_body_bytes = 0;
    reply_ok(c);
}

void script_kill(client *c, int is_function) {
    if (!script_current || script_current->is_function != is_function) {
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

static void script_kill_cmd(client *c) {
    script_kill(c, 0);
}

/* The Lua debugger (LDB) is not built: NO is accepted, YES/SYNC refused. */
static void script_debug_cmd(client *c) {
    if (arg_is(&c->argv[2], "no")) {
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "yes") || arg_is(&c->argv[2], "sync")) {
        reply_error(c, "ERR SCRIPT DEBUG is not supported: this server has no Lua debugger");
    } else {
        reply_error(c, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
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
int script_numkeys_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
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
    {.name = "debug",
     .proc = script_debug_cmd,
     .arity = 3,
     .flags = SCRIPT_SUB_FLAGS,
     .acl = ACL_SCRIPTING,
     .summary = "Sets the debug mode of server-side Lua scripts.",
     .since = "3.2.0",
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
     .getkeys = script_numkeys_getkeys,
     .summary = "Executes a server-side Lua script.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "evalsha",
     .proc = evalsha_command,
     .arity = -3,
     .flags = EVAL_FLAGS,
     .acl = ACL_SCRIPTING,
     .getkeys = script_numkeys_getkeys,
     .summary = "Executes a server-side Lua script by SHA1 digest.",
     .since = "2.6.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "eval_ro",
     .proc = eval_ro_command,
     .arity = -3,
     .flags = EVAL_FLAGS | CMD_READONLY,
     .acl = ACL_SCRIPTING,
     .getkeys = script_numkeys_getkeys,
     .summary = "Executes a read-only server-side Lua script.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on the script that is executed."},
    {.name = "evalsha_ro",
     .proc = evalsha_ro_command,
     .arity = -3,
     .flags = EVAL_FLAGS | CMD_READONLY,
     .acl = ACL_SCRIPTING,
     .getkeys = script_numkeys_getkeys,
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
    function_register();
}
