/*
 * script_lua.c - the Lua side of scripting (see script.h): the sandboxed
 * state, the redis library, and the conversions between replies and Lua
 * values, both ways, as Redis 7.0 makes them.
 */
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "persist/wal.h"
#include "script/script_int.h"
#include "script/sha1.h"
#include "server/acl.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/evict.h"
#include "server/exec.h"
#include "server/log.h"
#include "server/loop.h"
#include "server/reply.h"
#include "server/server.h"
#include "server/tracking.h"

script_run *script_current;

/* Nested tables deeper than this are refused rather than recursed into. */
#define SLUA_MAX_DEPTH 1000
/* redis.call arguments up to this many need no allocation. */
#define SLUA_SMALL_ARGC 8
/* Instructions between two calls of the busy/kill hook. */
#define SLUA_HOOK_EVERY 100000

/* ---- memory ---- */

/* Lua's garbage collector pause (percent of the live data reached before
 * a new cycle starts): Lua's default, and the one for a state with a limit. */
#define SLUA_GC_PAUSE_DEFAULT 200
#define SLUA_GC_PAUSE_LIMITED 100

/* A state's accounting, the userdata of its allocator. */
typedef struct slua_heap {
    size_t used;
    size_t limit;  /* bytes; 0: none (copied from lua-memory-limit per run) */
    size_t kept;   /* what the last full collection before a run left */
    int enforcing; /* 1 while user code runs: allocations past limit fail */
} slua_heap;

static slua_heap *heap_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* Lua 5.1 passes osize 0 with a NULL block. Shrinking and freeing always
 * succeed (Lua relies on it); only growth is checked against the limit. */
static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    slua_heap *h = ud;
    if (nsize == 0) {
        free(ptr);
        h->used -= osize;
        return NULL;
    }
    if (h->enforcing && h->limit && nsize > osize && h->used - osize + nsize > h->limit)
        return NULL; /* Lua raises LUA_ERRMEM: the caller is protected */
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    h->used = h->used - osize + nsize;
    return p;
}

size_t slua_memory(lua_State *L) {
    return heap_of(L)->used;
}

void slua_limit_prepare(lua_State *L) {
    slua_heap *h = heap_of(L);
    long long limit = config_get_int("lua-memory-limit");
    h->limit = limit > 0 ? (size_t)limit : 0;
    /* Lua starts a collection cycle once the state has grown to twice
     * what the last one kept (pause 200): under a limit, garbage alone
     * could then fill half of it and fail a script whose live data fits.
     * With a limit the next cycle starts as soon as one ends, which costs
     * small scripts next to nothing (the work is paced by allocation).
     * Set on every run: a script may change it with collectgarbage(). */
    lua_gc(L, LUA_GCSETPAUSE, h->limit ? SLUA_GC_PAUSE_LIMITED : SLUA_GC_PAUSE_DEFAULT);
    /* Garbage of earlier runs is collected first once the state is past
     * half the limit and has grown by a quarter of the room the last
     * collection left: a state whose live data alone is that big does not
     * pay a full collection on every run. */
    if (h->limit && h->used > h->limit / 2 && h->used > h->kept &&
        (h->kept >= h->limit || h->used - h->kept > (h->limit - h->kept) / 4)) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        h->kept = h->used;
    }
}

void slua_limit_enter(lua_State *L) {
    heap_of(L)->enforcing = 1;
}

void slua_limit_leave(lua_State *L) {
    heap_of(L)->enforcing = 0;
}

int slua_load(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    slua_limit_prepare(L);
    slua_limit_enter(L);
    int rc = luaL_loadbuffer(L, buf, len, chunkname);
    slua_limit_leave(L);
    return rc;
}

/* Suspends the limit for C code that must finish what it started; returns
 * what limit_resume restores. */
static int limit_suspend(lua_State *L) {
    slua_heap *h = heap_of(L);
    int was = h->enforcing;
    h->enforcing = 0;
    return was;
}

/* Restores the limit; when the suspended code took the state past it,
 * raises the memory error now that nothing is half done. The literal is
 * Lua's own preallocated message, so pushing it allocates nothing; the
 * error handler then fails to allocate its table, and the run ends with
 * LUA_ERRMEM as if the allocation had failed in place. */
static void limit_resume(lua_State *L, int was) {
    slua_heap *h = heap_of(L);
    h->enforcing = was;
    if (was && h->limit && h->used > h->limit) {
        lua_pushliteral(L, "not enough memory");
        lua_error(L);
    }
}

/* ---- errors ---- */

/* Raises {err=msg}: the form every error of the redis library takes, so
 * pcall() hands scripts a table and EVAL replies msg as it is. */
static int raise_err_table(lua_State *L, const char *msg) {
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushstring(L, msg);
    lua_rawset(L, -3);
    return lua_error(L);
}

/* The handler every script runs under: whatever was raised becomes an
 * {err=...} table (strings get "ERR "), with the position of the Lua code
 * that raised it, for "script: <sha>, on @user_script:<line>." */
static int error_handler(lua_State *L) {
    lua_Debug ar;
    int have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
    if (have && strcmp(ar.what, "C") == 0)
        have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
    if (!lua_istable(L, 1)) {
        const char *msg = lua_tostring(L, 1);
        lua_newtable(L);
        lua_pushstring(L, "err");
        lua_pushfstring(L, "ERR %s", msg ? msg : "(error object is not a string)");
        lua_rawset(L, -3);
        lua_replace(L, 1);
    }
    if (have) {
        lua_pushstring(L, "source");
        lua_pushstring(L, ar.source);
        lua_rawset(L, 1);
        lua_pushstring(L, "line");
        lua_pushinteger(L, ar.currentline);
        lua_rawset(L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

int slua_raise(lua_State *L, const char *msg) {
    return raise_err_table(L, msg);
}

#define SLUA_ERROR_HANDLER "pairdb_error_handler"

/* The handler is made once and kept in the registry: pushing a C function
 * allocates a new closure every time in Lua 5.1. */
void slua_push_error_handler(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, SLUA_ERROR_HANDLER);
}

/* ---- reply -> Lua ---- */

/*
 * A command's reply becomes Lua values straight from its RESP bytes: the
 * reply reader runs with a builder that pushes onto the Lua stack, so no
 * reply tree is built and freed on every redis.call.
 *
 * Values arrive depth-first, a parent before its children. The object a
 * builder returns for an aggregate is the stack index of the table its
 * children go into; a child first drops what finished siblings left above
 * that index, then links itself into the table. An aggregate child stays
 * on the stack after it is linked, as its own children's target. A map's
 * key waits just above the map's table until its value arrives.
 */
typedef struct lua_build {
    lua_State *L;
    int base;     /* stack top before the reply; the reply ends at base + 1 */
    int resp;     /* 2: null is false, 3: nil */
    int top_type; /* resp_type of the reply itself */
} lua_build;

/* Attributes (never in PairDB's own replies) and whatever they hold. */
#define LB_IGNORED ((void *)(intptr_t)-1)

static void *lb_token(int idx) {
    return (void *)(intptr_t)idx;
}

static int lb_index(const void *obj) {
    return (int)(intptr_t)obj;
}

/* Clears the stack down to where the value for t goes; 0, or -1 when the
 * value is ignored (inside an attribute) or the stack cannot grow. */
static int lb_begin(const resp_task *t, lua_build *b) {
    if (!t->parent) {
        if (t->type == RESP_T_ATTR) return -1;
        lua_settop(b->L, b->base);
        b->top_type = t->type;
    } else {
        if (t->parent->obj == LB_IGNORED) return -1;
        int p = lb_index(t->parent->obj);
        int map_value = t->parent->type == RESP_T_MAP && (t->idx & 1);
        lua_settop(b->L, map_value ? p + 1 : p);
    }
    return lua_checkstack(b->L, 8) ? 0 : -1;
}

/* Links the value on top into its parent. An aggregate (keep = 1) stays
 * on the stack; a scalar is consumed unless it is a map's key. */
static void lb_link(const resp_task *t, lua_build *b, int keep) {
    lua_State *L = b->L;
    if (!t->parent) return;
    int p = lb_index(t->parent->obj);
    switch (t->parent->type) {
    case RESP_T_MAP:
        if (!(t->idx & 1)) return; /* a key: waits at p + 1 for its value */
        if (lua_isnil(L, p + 1)) break; /* a nil key cannot index a table */
        lua_pushvalue(L, p + 1);
        lua_pushvalue(L, -2);
        lua_rawset(L, p);
        break;
    case RESP_T_SET:
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, p);
        break;
    default:
        lua_pushvalue(L, -1);
        lua_rawseti(L, p, (int)t->idx + 1);
        break;
    }
    if (!keep) lua_pop(L, 1);
}

/* {field = <value on top>}, replacing the value. */
static void lb_wrap(lua_State *L, const char *field) {
    lua_createtable(L, 0, 1);
    lua_pushstring(L, field);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_remove(L, -2);
}

static void *lb_done(const resp_task *t, lua_build *b) {
    lb_link(t, b, 0);
    return lb_token(lua_gettop(b->L));
}

static void *lb_string(const resp_task *t, const char *s, size_t len) {
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    lua_State *L = b->L;
    if (t->type == RESP_T_VERBATIM && len >= 4 && s[3] == ':') {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, "format");
        lua_pushlstring(L, s, 3);
        lua_rawset(L, -3);
        lua_pushstring(L, "string");
        lua_pushlstring(L, s + 4, len - 4);
        lua_rawset(L, -3);
        lb_wrap(L, "verbatim_string");
        return lb_done(t, b);
    }
    lua_pushlstring(L, s, len);
    if (t->type == RESP_T_SIMPLE)
        lb_wrap(L, "ok");
    else if (t->type == RESP_T_ERROR)
        lb_wrap(L, "err");
    else if (t->type == RESP_T_BIGNUM)
        lb_wrap(L, "big_number");
    return lb_done(t, b);
}

static void *lb_array(const resp_task *t, size_t n) {
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    lua_State *L = b->L;
    int is_map = t->type == RESP_T_MAP, is_set = t->type == RESP_T_SET;
    if (!is_map && !is_set) {
        /* Not presized: a RESP3 null leaves a hole, and the length Lua
         * reports for a table with holes depends on its array part. */
        (void)n;
        lua_newtable(L);
        lb_link(t, b, 1);
        return lb_token(lua_gettop(L));
    }
    /* {map = inner} / {set = inner}: children go into inner. */
    lua_createtable(L, 0, 1);
    lb_link(t, b, 1);
    lua_pushstring(L, is_map ? "map" : "set");
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_insert(L, -3);
    lua_rawset(L, -4);
    return lb_token(lua_gettop(L));
}

static void *lb_integer(const resp_task *t, long long v) {
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    lua_pushnumber(b->L, (lua_Number)v);
    return lb_done(t, b);
}

static void *lb_double(const resp_task *t, double d, const char *s, size_t len) {
    (void)s;
    (void)len;
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    lua_pushnumber(b->L, d);
    lb_wrap(b->L, "double");
    return lb_done(t, b);
}

static void *lb_nil(const resp_task *t) {
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    /* RESP2's null bulk and array are false; RESP3's null is nil. */
    if (b->resp == 2)
        lua_pushboolean(b->L, 0);
    else
        lua_pushnil(b->L);
    return lb_done(t, b);
}

static void *lb_bool(const resp_task *t, int v) {
    lua_build *b = t->privdata;
    if (lb_begin(t, b) < 0) return LB_IGNORED;
    lua_pushboolean(b->L, v);
    return lb_done(t, b);
}

static void lb_set_attribute(void *obj, void *attr) {
    (void)obj;
    (void)attr;
}

static void lb_free(void *obj) {
    (void)obj; /* values live on the Lua stack: the caller resets it */
}

static const resp_builder lua_builder = {
    .create_string = lb_string,
    .create_array = lb_array,
    .create_integer = lb_integer,
    .create_double = lb_double,
    .create_nil = lb_nil,
    .create_bool = lb_bool,
    .set_attribute = lb_set_attribute,
    .free_object = lb_free,
};

/* ---- Lua -> reply ---- */

static void reply_value(client *c, lua_State *L, int resp, int depth);

/* The string field `name` of the table on top, or NULL. */
static const char *string_field(lua_State *L, const char *name, size_t *len) {
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
    lua_pop(L, 1); /* the string stays alive: the table holds it */
    return s;
}

static int field_type(lua_State *L, const char *name) {
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    int t = lua_type(L, -1);
    lua_pop(L, 1);
    return t;
}

static void reply_error_text(client *c, const char *s, size_t len) {
    char *msg = mem_alloc(len + 1);
    memcpy(msg, s, len);
    msg[len] = '\0';
    reply_error(c, msg);
    mem_free(msg);
}

/* map / set: pairs of the table in field `name`; sets send only keys. */
static void reply_pairs(client *c, lua_State *L, const char *name, int is_set, int resp,
                        int depth) {
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    reply_deferred d = reply_defer(c);
    long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2); /* the key, converted without disturbing next() */
        reply_value(c, L, resp, depth + 1);
        lua_pop(L, 1);
        if (!is_set) reply_value(c, L, resp, depth + 1);
        lua_pop(L, 1);
        n++;
    }
    lua_pop(L, 1);
    if (is_set)
        reply_defer_set(c, d, n);
    else
        reply_defer_map(c, d, n);
}

static void reply_table(client *c, lua_State *L, int resp, int depth) {
    size_t len;
    const char *s;
    if ((s = string_field(L, "err", &len))) {
        reply_error_text(c, s, len);
    } else if ((s = string_field(L, "ok", &len))) {
        reply_status_len(c, s, len);
    } else if (field_type(L, "double") == LUA_TNUMBER) {
        lua_pushstring(L, "double");
        lua_rawget(L, -2);
        reply_double(c, lua_tonumber(L, -1));
        lua_pop(L, 1);
    } else if ((s = string_field(L, "big_number", &len))) {
        reply_bignum(c, s, len);
    } else if (field_type(L, "map") == LUA_TTABLE) {
        reply_pairs(c, L, "map", 0, resp, depth);
    } else if (field_type(L, "set") == LUA_TTABLE) {
        reply_pairs(c, L, "set", 1, resp, depth);
    } else if (field_type(L, "verbatim_string") == LUA_TTABLE) {
        lua_pushstring(L, "verbatim_string");
        lua_rawget(L, -2);
        size_t flen = 0;
        const char *fmt = string_field(L, "format", &flen);
        s = string_field(L, "string", &len);
        if (fmt && s && flen == 3)
            reply_verbatim(c, s, len, fmt);
        else
            reply_null(c);
        lua_pop(L, 1);
    } else {
        /* An array: up to the first nil. */
        reply_deferred d = reply_defer(c);
        long n = 0;
        for (;;) {
            lua_rawgeti(L, -1, (int)n + 1);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            reply_value(c, L, resp, depth + 1);
            lua_pop(L, 1);
            n++;
        }
        reply_defer_array(c, d, n);
    }
}

static void reply_value(client *c, lua_State *L, int resp, int depth) {
    if (depth > SLUA_MAX_DEPTH || !lua_checkstack(L, 8)) {
        reply_error(c, "ERR reached lua stack limit");
        return;
    }
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        reply_bulk(c, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        if (resp == 2) {
            if (lua_toboolean(L, -1))
                reply_int(c, 1);
            else
                reply_null(c);
        } else {
            reply_bool(c, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER:
        reply_int(c, (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        reply_table(c, L, resp, depth);
        break;
    default:
        reply_null(c);
        break;
    }
}

void slua_reply(client *c, lua_State *L, int script_resp) {
    reply_value(c, L, script_resp, 0);
}

/* ---- redis.call / redis.pcall ---- */

/* The checks Redis makes before a script's command runs; the error text or NULL. */
static const char *refuse_command(const command *cmd, int argc, const resp_arg *argv,
                                  int unknown_sub) {
    if (!cmd || unknown_sub) return "ERR Unknown Redis command called from script";
    if (cmd->flags & CMD_NOSCRIPT) return "ERR This Redis command is not allowed from script";
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity)
        return "ERR Wrong number of args calling Redis command from script";
    const char *denied = acl_check_script(script_current->caller, cmd, argc, argv);
    if (denied) return denied;
    if ((cmd->flags & CMD_WRITE) && script_current->readonly)
        return "ERR Write commands are not allowed from read-only scripts.";
    if ((cmd->flags & CMD_WRITE) && wal_writes_refused())
        return "MISCONF Errors writing to the log: write commands are refused";
    if (cfg->maxmemory && (cmd->flags & CMD_DENYOOM) && !script_current->wrote &&
        !(script_current->flags & SCRIPT_FLAG_ALLOW_OOM) && evict_perform() != EVICT_OK)
        return "OOM command not allowed when used memory > 'maxmemory'.";
    return NULL;
}

/* Runs argv on the script's client; its reply is left collected there.
 * Each command is logged on its own, as exec_call does for a client's. */
static const char *run_command(int argc, resp_arg *argv) {
    client *sc = script_current->sc;
    int unknown_sub = 0;
    command *cmd = command_lookup_argv(argc, argv, &unknown_sub);
    const char *refused = refuse_command(cmd, argc, argv, unknown_sub);
    if (refused) {
        if (cmd) cmd->rejected_calls++;
        return refused;
    }
    sc->argc = argc;
    sc->argv = argv;
    /* Commands that look at the user themselves (SORT) see the caller's. */
    sc->user = script_current->caller ? script_current->caller->user : NULL;
    /* The dispatcher's own call path: logging, commandstats, MONITOR and
     * client-side caching see a script's commands as any other. */
    exec_call(sc, cmd);
    sc->flags &= ~CLIENT_BLOCK_PENDING;
    /* Keys a script reads are tracked for the client that runs it. */
    tracking_remember_keys(script_current->caller, cmd, argc, argv);
    if (cmd->flags & CMD_WRITE) script_current->wrote = 1;
    sc->argc = 0;
    sc->argv = NULL;
    sc->cmd = NULL;
    sc->user = NULL; /* the user may be deleted once the script is over */
    return NULL;
}

/* Pushes the reply collected on the script's client as one Lua value;
 * returns its resp_type, or -1 (nothing pushed) if there is none. */
static int push_reply(lua_State *L, client *sc) {
    /* One buffer and one reader serve every call: a script makes many. */
    static resp_buf out;
    static resp_reader *r;
    static lua_build build;
    out.len = 0;
    client_drain_replies(sc, &out);
    if (!r) {
        r = resp_reader_new_with(&lua_builder, &build);
        resp_reader_set_max_depth(r, 64);
    }
    build.L = L;
    build.base = lua_gettop(L);
    build.resp = sc->resp;
    if (out.len) resp_reader_feed(r, out.data, out.len);
    void *reply = NULL;
    if (resp_reader_get_reply(r, &reply) != RESP_OK || !reply || reply == LB_IGNORED) {
        /* Malformed or incomplete (never from the server's own encoder):
         * start the next call with a fresh reader. */
        lua_settop(L, build.base);
        resp_reader_free(r);
        r = NULL;
        return -1;
    }
    lua_settop(L, build.base + 1);
    return build.top_type;
}

/* The arguments of redis.call as resp_args; numbers are formatted the way
 * Redis formats them ("%.17g"). Returns an error text or NULL. */
static const char *collect_args(lua_State *L, int argc, resp_arg *argv, char (*numbuf)[32]) {
    for (int i = 0; i < argc; i++) {
        int t = lua_type(L, i + 1);
        if (t == LUA_TNUMBER) {
            int n = snprintf(numbuf[i], 32, "%.17g", (double)lua_tonumber(L, i + 1));
            argv[i].ptr = numbuf[i];
            argv[i].len = (size_t)n;
        } else if (t == LUA_TSTRING) {
            argv[i].ptr = lua_tolstring(L, i + 1, &argv[i].len);
        } else {
            return "ERR Lua redis lib command arguments must be strings or integers";
        }
    }
    return NULL;
}

static int redis_call_generic(lua_State *L, int raise) {
    int argc = lua_gettop(L);
    if (!script_current) return raise_err_table(L, "ERR redis.call is only available in scripts");
    if (argc == 0)
        return raise_err_table(L,
                               "ERR Please specify at least one argument for this redis lib call");
    /* Most calls have a few arguments: those live on the C stack. */
    resp_arg argv_small[SLUA_SMALL_ARGC];
    char numbuf_small[SLUA_SMALL_ARGC][32];
    int small = argc <= SLUA_SMALL_ARGC;
    resp_arg *argv = small ? argv_small : mem_alloc(sizeof(resp_arg) * (size_t)argc);
    char(*numbuf)[32] = small ? numbuf_small : mem_alloc(32 * (size_t)argc);
    const char *err = collect_args(L, argc, argv, numbuf);
    /* From the command to its reply on the Lua stack nothing may stop
     * halfway: argv would leak, the reply would stay on the script's
     * client and the reply reader would hold half a reply. The limit is
     * checked once it is all done. */
    int was_enforcing = limit_suspend(L);
    if (!err) err = run_command(argc, argv);
    if (!small) {
        mem_free(argv);
        mem_free(numbuf);
    }
    int type = err ? -1 : push_reply(L, script_current->sc);
    limit_resume(L, was_enforcing);
    if (err) {
        if (raise) return raise_err_table(L, err);
        lua_newtable(L);
        lua_pushstring(L, "err");
        lua_pushstring(L, err);
        lua_rawset(L, -3);
        return 1;
    }
    if (type < 0) return raise_err_table(L, "ERR the command sent no reply");
    if (raise && type == RESP_T_ERROR) {
        lua_getfield(L, -1, "err");
        return raise_err_table(L, lua_tostring(L, -1));
    }
    return 1;
}

static int redis_call(lua_State *L) {
    return redis_call_generic(L, 1);
}

static int redis_pcall(lua_State *L) {
    return redis_call_generic(L, 0);
}

/* ---- the rest of the redis library ---- */

static int single_string_arg(lua_State *L, const char *fname) {
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
        lua_pushfstring(L, "wrong number or type of arguments");
        (void)fname;
        return lua_error(L);
    }
    return 0;
}

static int redis_error_reply(lua_State *L) {
    single_string_arg(L, "error_reply");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len && s[0] == '-') s++, len--;
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, s, len);
    lua_rawset(L, -3);
    return 1;
}

static int redis_status_reply(lua_State *L) {
    single_string_arg(L, "status_reply");
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, 1);
    lua_rawset(L, -3);
    return 1;
}

static int redis_sha1hex(lua_State *L) {
    if (lua_gettop(L) != 1) return luaL_error(L, "wrong number of arguments");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[41];
    sha1_hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

int slua_log(lua_State *L) {
    int argc = lua_gettop(L);
    if (argc < 2) return luaL_error(L, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1)) return luaL_error(L, "First argument must be a number (log level).");
    int level = (int)lua_tonumber(L, 1);
    if (level < LOG_DEBUG || level > LOG_WARNING) return luaL_error(L, "Invalid debug level.");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= argc; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        if (!s) continue;
        if (i > 2) luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, len);
    }
    luaL_pushresult(&b);
    log_msg(level, "%s", lua_tostring(L, -1));
    return 0;
}

static int redis_setresp(lua_State *L) {
    if (lua_gettop(L) != 1) return raise_err_table(L, "ERR redis.setresp() requires one argument.");
    int resp = (int)lua_tonumber(L, 1);
    if (resp != 2 && resp != 3) return raise_err_table(L, "ERR RESP version must be 2 or 3.");
    if (script_current) script_current->sc->resp = resp;
    return 0;
}

/* The log always records effects, so replication choices change nothing. */
static int redis_set_repl(lua_State *L) {
    if (lua_gettop(L) != 1)
        return raise_err_table(L, "ERR redis.set_repl() requires one argument.");
    int flags = (int)lua_tonumber(L, 1);
    if (flags < 0 || flags > 3)
        return raise_err_table(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, "
                                  "REPL_ALL or REPL_NONE.");
    return 0;
}

static int redis_true(lua_State *L) {
    lua_pushboolean(L, 1);
    return 1;
}

static int redis_false(lua_State *L) {
    lua_pushboolean(L, 0);
    return 1;
}

static int redis_nothing(lua_State *L) {
    (void)L;
    return 0;
}

/* ---- math.random: Redis's own generator, the same on every server ---- */

/* The 48-bit linear congruential generator of rand48. */
static uint64_t rand48_state;

void slua_reset_random(void) {
    rand48_state = 0x330E;
}

static int32_t rand48_next(void) {
    rand48_state = (rand48_state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return (int32_t)(rand48_state >> 17);
}

static int math_random(lua_State *L) {
    lua_Number r = (lua_Number)(rand48_next() % INT32_MAX) / (lua_Number)INT32_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, (lua_Number)((int)(r * u) + 1));
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1), u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, (lua_Number)((int)(r * (u - l + 1)) + l));
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    uint32_t seed = (uint32_t)luaL_checkint(L, 1);
    rand48_state = ((uint64_t)seed << 16) | 0x330E;
    return 0;
}

/* ---- the sandbox ---- */

/* Globals that stay: everything else the base library defines goes. */
static const char *const kept_globals[] = {
    "assert", "collectgarbage", "error",    "getmetatable", "ipairs", "loadstring",
    "next",   "pairs",          "pcall",    "rawequal",     "rawget", "rawset",
    "select", "setmetatable",   "tonumber", "tostring",     "type",   "unpack",
    "xpcall", "_VERSION",       "_G",       "coroutine",    "string", "table",
    "math",   "cjson",          "bit",      "redis",        NULL};

static int is_kept(const char *name) {
    for (int i = 0; kept_globals[i]; i++)
        if (strcmp(kept_globals[i], name) == 0) return 1;
    return 0;
}

static void drop_unlisted_globals(lua_State *L) {
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    int dropped;
    do {
        dropped = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING && !is_kept(lua_tostring(L, -1))) {
                lua_pushvalue(L, -1);
                lua_pushnil(L);
                lua_rawset(L, -4);
                dropped = 1;
                lua_pop(L, 1);
                break; /* next() cannot go on after a removal: start again */
            }
        }
    } while (dropped);
    lua_pop(L, 1);
}

/* Raises with the position of the Lua code that touched a protected
 * table (level 1: the metamethod's caller). */
static int raise_at_caller(lua_State *L, const char *fmt, const char *arg) {
    luaL_where(L, 1);
    lua_pushfstring(L, fmt, arg);
    lua_concat(L, 2);
    return lua_error(L);
}

static int readonly_newindex(lua_State *L) {
    return raise_at_caller(L, "Attempt to modify a readonly table", NULL);
}

/* Globals are read through a proxy: a name the real table lacks is an
 * error, as in Redis, rather than a silent nil. */
static int global_index(lua_State *L) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1)) return 1;
    const char *name = lua_tostring(L, 2);
    return raise_at_caller(L, "Script attempted to access nonexistent global variable '%s'",
                           name ? name : "?");
}

/* Replaces the table at the top of the stack by an empty readonly proxy
 * that reads through to it: every assignment, to a new or an existing
 * field, then errors. With global_lookup the proxy also refuses unknown
 * names. The marker __metatable lets the setmetatable guard recognise it. */
static void make_readonly_proxy(lua_State *L, int global_lookup) {
    lua_newtable(L); /* proxy */
    lua_newtable(L); /* its metatable */
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, -3);
    if (global_lookup) lua_pushcclosure(L, global_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

void slua_make_globals_proxy(lua_State *L) {
    make_readonly_proxy(L, 1);
}

/* 1 when the table at idx is one of the readonly proxies. */
static int is_protected(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) return 0;
    lua_getfield(L, -1, "__metatable");
    int marked = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return marked;
}

/* setmetatable() and rawset() on a protected table error the way Redis
 * does; on any other table they call the original (upvalue 1). */
static int guarded_base_call(lua_State *L) {
    if (lua_istable(L, 1) && is_protected(L, 1)) {
        lua_pushstring(L, "Attempt to modify a readonly table");
        return lua_error(L);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* loadstring() takes source text only: precompiled chunks can break out
 * of the sandbox. */
static int guarded_loadstring(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (len && s[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        lua_pushstring(L, "bytecode loading is not allowed");
        return 2;
    }
    const char *name = luaL_optstring(L, 2, s);
    if (luaL_loadbuffer(L, s, len, name) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

/* Opens a library; one that only returns its table (cjson) becomes the
 * global of that name. */
static void open_library(lua_State *L, lua_CFunction open, const char *name) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (*name && lua_istable(L, -1))
        lua_setglobal(L, name);
    else
        lua_pop(L, 1);
}

static void set_number(lua_State *L, const char *name, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

static void set_function(lua_State *L, const char *name, lua_CFunction fn) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
}

static void open_redis_library(lua_State *L) {
    lua_newtable(L);
    set_function(L, "call", redis_call);
    set_function(L, "pcall", redis_pcall);
    set_function(L, "error_reply", redis_error_reply);
    set_function(L, "status_reply", redis_status_reply);
    set_function(L, "sha1hex", redis_sha1hex);
    set_function(L, "log", slua_log);
    set_function(L, "setresp", redis_setresp);
    set_function(L, "set_repl", redis_set_repl);
    set_function(L, "replicate_commands", redis_true);
    set_function(L, "breakpoint", redis_false);
    set_function(L, "debug", redis_nothing);
    set_number(L, "LOG_DEBUG", LOG_DEBUG);
    set_number(L, "LOG_VERBOSE", LOG_VERBOSE);
    set_number(L, "LOG_NOTICE", LOG_NOTICE);
    set_number(L, "LOG_WARNING", LOG_WARNING);
    set_number(L, "REPL_NONE", 0);
    set_number(L, "REPL_AOF", 1);
    set_number(L, "REPL_SLAVE", 2);
    set_number(L, "REPL_REPLICA", 2);
    set_number(L, "REPL_ALL", 3);
    lua_pushstring(L, PAIRDB_REDIS_COMPAT_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_number(L, "REDIS_VERSION_NUM", 0x07000f);
    lua_setglobal(L, "redis");
}

static void replace_math_random(lua_State *L) {
    lua_getglobal(L, "math");
    set_function(L, "random", math_random);
    set_function(L, "randomseed", math_randomseed);
    lua_pop(L, 1);
}

static void guard_base_functions(lua_State *L) {
    static const char *const guarded[] = {"setmetatable", "rawset", NULL};
    for (int i = 0; guarded[i]; i++) {
        lua_getglobal(L, guarded[i]);
        lua_pushcclosure(L, guarded_base_call, 1);
        lua_setglobal(L, guarded[i]);
    }
    lua_pushcfunction(L, guarded_loadstring);
    lua_setglobal(L, "loadstring");
}

/* The library tables become readonly proxies too: a script cannot
 * replace redis.call or string.format for the scripts after it. */
static void protect_libraries(lua_State *L) {
    static const char *const libs[] = {"redis", "string", "table", "math", "cjson", "bit", NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        if (lua_istable(L, -1)) {
            make_readonly_proxy(L, 0);
            lua_setglobal(L, libs[i]);
        } else {
            lua_pop(L, 1);
        }
    }
}

/* cjson's encode and decode keep C buffers that a memory error raised
 * inside them would leak: they run with the limit suspended (what they
 * build is bounded by their input, already within the limit) and the
 * limit is checked when they return. Their own errors pass through. */
static int unlimited_call(lua_State *L) {
    int was_enforcing = limit_suspend(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (rc != 0) {
        heap_of(L)->enforcing = was_enforcing;
        return lua_error(L);
    }
    limit_resume(L, was_enforcing);
    return lua_gettop(L);
}

static void guard_cjson(lua_State *L) {
    static const char *const names[] = {"encode", "decode", NULL};
    lua_getglobal(L, "cjson");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    for (int i = 0; names[i]; i++) {
        lua_getfield(L, -1, names[i]);
        lua_pushcclosure(L, unlimited_call, 1);
        lua_setfield(L, -2, names[i]);
    }
    lua_pop(L, 1);
}

/* An error outside every protected call: a bug, since the limit is never
 * enforced there. Lua would exit(); the log should say why first. */
static int on_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    log_msg(LOG_WARNING, "Unprotected error in the Lua state: %s", msg ? msg : "?");
    abort();
    return 0;
}

void slua_close(lua_State *L) {
    slua_heap *h = heap_of(L);
    lua_close(L);
    free(h);
}

lua_State *slua_new(void) {
    slua_heap *h = calloc(1, sizeof *h);
    lua_State *L = h ? lua_newstate(counting_alloc, h) : NULL;
    if (!L) {
        fprintf(stderr, "Out of memory creating a Lua state\n");
        abort();
    }
    lua_atpanic(L, on_panic);
    lua_pushcfunction(L, error_handler);
    lua_setfield(L, LUA_REGISTRYINDEX, SLUA_ERROR_HANDLER);
    open_library(L, luaopen_base, "");
    open_library(L, luaopen_table, LUA_TABLIBNAME);
    open_library(L, luaopen_string, LUA_STRLIBNAME);
    open_library(L, luaopen_math, LUA_MATHLIBNAME);
    open_library(L, luaopen_cjson, "cjson");
    open_library(L, luaopen_bit, "bit");
    open_redis_library(L);
    guard_cjson(L);
    replace_math_random(L);
    guard_base_functions(L);
    drop_unlisted_globals(L);
    /* package.loaded still holds the libraries; no script can reach it. */
    protect_libraries(L);
    /* Scripts compiled from now on see the proxy as their globals; the
     * real table stays reachable from C (KEYS and ARGV go there). */
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    make_readonly_proxy(L, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, SLUA_GLOBALS_PROXY);
    lua_pushstring(L, "_G"); /* _G is the proxy too, or it would be a way around it */
    lua_insert(L, -2);
    lua_rawset(L, LUA_GLOBALSINDEX);
    return L;
}

/* ---- the busy hook ---- */

static void busy_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    script_run *run = script_current;
    if (!run) return;
    long long limit = config_get_int("busy-reply-threshold");
    if (!run->timedout && limit > 0 && clock_now_ms() - run->start_ms >= limit) {
        run->timedout = 1;
        log_msg(LOG_WARNING,
                "Slow script detected: still in execution after %lld milliseconds. "
                "You can try killing the script using the %s command. Script %s is: %s",
                clock_now_ms() - run->start_ms, run->is_function ? "FUNCTION KILL" : "SCRIPT KILL",
                run->is_function ? "name" : "SHA1", run->name);
    }
    if (run->timedout && server_loop()) {
        /* Other clients' commands run here; none may fail for this state's limit. */
        int was_enforcing = limit_suspend(L);
        loop_run_once(server_loop(), 0);
        heap_of(L)->enforcing = was_enforcing;
    }
    if (run->kill_requested || server_shutting_down()) {
        lua_sethook(L, busy_hook, LUA_MASKLINE, 0); /* keep raising until the script ends */
        raise_err_table(L, "ERR Script killed by user with SCRIPT KILL...");
    }
}

void slua_install_hook(lua_State *L) {
    lua_sethook(L, busy_hook, LUA_MASKCOUNT, SLUA_HOOK_EVERY);
}
