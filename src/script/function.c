/*
 * function.c - Redis 7 functions: FUNCTION LOAD|DELETE|FLUSH|LIST|DUMP|
 * RESTORE|STATS|KILL|HELP, FCALL and FCALL_RO.
 *
 * A library is Lua code that starts with "#!lua name=<lib>" and, when run
 * once at load time, registers functions with redis.register_function().
 * Libraries live in a Lua state of their own (SCRIPT FLUSH does not touch
 * them); each registered callback is kept in the registry and called by
 * FCALL with two tables, the keys and the arguments.
 *
 * Load time and run time see different globals, as in Redis: while the
 * library's code runs, only redis.register_function, redis.log and the
 * version constants exist; when a function runs it has the whole sandbox
 * of EVAL. Every chunk shares one globals proxy; its metatable is switched
 * for the duration of a load.
 *
 * Loading is all or nothing: a library is built apart (compiled, run,
 * its functions collected) and checked against the loaded ones before
 * anything changes. FUNCTION LOAD, DELETE, FLUSH and RESTORE are write
 * commands: the log records them as received, and snapshots carry each
 * library's code, so functions survive restarts like data.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "ds/dict.h"
#include "ds/dstr.h"
#include "ds/glob.h"
#include "ds/mem.h"
#include "persist/propagate.h"
#include "persist/recovery.h"
#include "script/script.h"
#include "script/script_int.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/handler.h"
#include "server/reply.h"
#include "types/dump.h"

/* A library's code may run this long at load time. */
#define FUNCTION_LOAD_TIMEOUT_MS 500
/* Registry keys of the two metatables of the globals proxy. */
#define FN_MT_RUN "pairdb_fn_mt_run"
#define FN_MT_LOAD "pairdb_fn_mt_load"
/* First byte of a FUNCTION DUMP payload (never a key type). */
#define FN_DUMP_TYPE 0xF5
#define FN_ERR_MAX 1024

typedef struct fn_library fn_library;

typedef struct fn_function {
    dict_node node; /* in `functions`, by name, any case */
    fn_library *lib;
    struct fn_function *next; /* in its library */
    char *name;
    char *desc; /* NULL when none was given */
    int flags;  /* SCRIPT_FLAG_* */
    int ref;    /* the callback, in the registry */
} fn_function;

struct fn_library {
    dict_node node; /* in `libraries`, by name */
    char *name;
    dstr *code;
    fn_function *functions;
    long nfunctions;
};

static const char *function_key(const dict_node *n, size_t *len) {
    const fn_function *f = (const fn_function *)n;
    *len = strlen(f->name);
    return f->name;
}

static const char *library_key(const dict_node *n, size_t *len) {
    const fn_library *l = (const fn_library *)n;
    *len = strlen(l->name);
    return l->name;
}

static const dict_ops function_ops = {function_key, 1};
static const dict_ops library_ops = {library_key, 0};

static dict libraries, functions;
static int tables_ready;
static lua_State *fL;
/* The library whose code is running at load time. */
static fn_library *loading;
static long long load_deadline_ms;

/* ---- the Lua state ---- */

static char *copy_str(const char *s, size_t len) {
    char *p = mem_alloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static int register_function(lua_State *L);

static void set_number(lua_State *L, const char *name, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

/* The globals a library's code sees while it loads: a redis table with
 * only what registering needs. Both tables are readonly proxies, so a
 * name they lack (redis.call, string...) is an error, as in Redis. */
static void push_load_metatable(lua_State *L) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, register_function);
    lua_setfield(L, -2, "register_function");
    lua_pushcfunction(L, slua_log);
    lua_setfield(L, -2, "log");
    set_number(L, "LOG_DEBUG", 0);
    set_number(L, "LOG_VERBOSE", 1);
    set_number(L, "LOG_NOTICE", 2);
    set_number(L, "LOG_WARNING", 3);
    lua_getfield(L, LUA_GLOBALSINDEX, "redis");
    lua_getfield(L, -1, "REDIS_VERSION");
    lua_setfield(L, -3, "REDIS_VERSION");
    lua_getfield(L, -1, "REDIS_VERSION_NUM");
    lua_setfield(L, -3, "REDIS_VERSION_NUM");
    lua_pop(L, 1);
    slua_make_globals_proxy(L);
    lua_setfield(L, -2, "redis");
    slua_make_globals_proxy(L);
    lua_getmetatable(L, -1);
    lua_remove(L, -2);
}

static lua_State *state(void) {
    if (fL) return fL;
    fL = slua_new();
    lua_getfield(fL, LUA_REGISTRYINDEX, SLUA_GLOBALS_PROXY);
    lua_getmetatable(fL, -1);
    lua_setfield(fL, LUA_REGISTRYINDEX, FN_MT_RUN);
    lua_pop(fL, 1);
    push_load_metatable(fL);
    lua_setfield(fL, LUA_REGISTRYINDEX, FN_MT_LOAD);
    return fL;
}

/* Gives the globals proxy the load-time (1) or run-time (0) globals. */
static void use_load_globals(lua_State *L, int load) {
    lua_getfield(L, LUA_REGISTRYINDEX, SLUA_GLOBALS_PROXY);
    lua_getfield(L, LUA_REGISTRYINDEX, load ? FN_MT_LOAD : FN_MT_RUN);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

static void ensure_tables(void) {
    if (tables_ready) return;
    dict_init(&libraries, &library_ops);
    dict_init(&functions, &function_ops);
    tables_ready = 1;
}

/* ---- libraries ---- */

static void library_free(fn_library *lib) {
    fn_function *f = lib->functions;
    while (f) {
        fn_function *next = f->next;
        if (fL) luaL_unref(fL, LUA_REGISTRYINDEX, f->ref);
        mem_free(f->name);
        mem_free(f->desc);
        mem_free(f);
        f = next;
    }
    mem_free(lib->name);
    dstr_free(lib->code);
    mem_free(lib);
}

static fn_library *library_find(const char *name, size_t len) {
    ensure_tables();
    return (fn_library *)dict_find(&libraries, name, len, dict_hash_for(&libraries, name, len));
}

static fn_function *function_find(const char *name, size_t len) {
    ensure_tables();
    return (fn_function *)dict_find(&functions, name, len, dict_hash_for(&functions, name, len));
}

static void library_link(fn_library *lib) {
    size_t len = strlen(lib->name);
    dict_insert(&libraries, &lib->node, dict_hash_for(&libraries, lib->name, len));
    for (fn_function *f = lib->functions; f; f = f->next) {
        len = strlen(f->name);
        uint64_t h = dict_hash_for(&functions, f->name, len);
        /* Only a sibling differing by case can be there: the later wins. */
        dict_remove(&functions, f->name, len, h);
        dict_insert(&functions, &f->node, h);
    }
}

static void library_unlink(fn_library *lib) {
    size_t len = strlen(lib->name);
    dict_remove(&libraries, lib->name, len, dict_hash_for(&libraries, lib->name, len));
    for (fn_function *f = lib->functions; f; f = f->next) {
        len = strlen(f->name);
        dict_remove(&functions, f->name, len, dict_hash_for(&functions, f->name, len));
    }
}

static void free_library_node(dict_node *n, void *arg) {
    (void)arg;
    library_free((fn_library *)n);
}

/* Drops every library and the Lua state with them. */
static void flush_all(void) {
    ensure_tables();
    dict_clear(&functions, NULL, NULL);
    dict_clear(&libraries, free_library_node, NULL);
    if (fL) slua_close(fL);
    fL = NULL;
}

void function_free_all(void) {
    if (!tables_ready) return;
    flush_all();
    tables_ready = 0;
}

static int valid_name(const char *s, size_t len) {
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* ---- redis.register_function ---- */

typedef struct fn_spec {
    const char *name, *desc;
    size_t namelen, desclen;
    int has_callback; /* the callback is at stack index `callback` */
    int callback;
    int flags;
} fn_spec;

/* Reads the flags table at idx into spec->flags; an error text or NULL. */
static const char *read_flags(lua_State *L, int idx, fn_spec *spec) {
    if (!lua_istable(L, idx))
        return "ERR flags argument to redis.register_function must be a table representing "
               "function flags";
    for (int i = 1;; i++) {
        lua_rawgeti(L, idx, i);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return NULL;
        }
        size_t len;
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        int bit = s ? script_flag_by_name(s, len) : 0;
        lua_pop(L, 1);
        if (!bit) return "ERR unknown flag given";
        spec->flags |= bit;
    }
}

/* redis.register_function{function_name=, callback=, flags=, description=}. */
static const char *read_named_args(lua_State *L, fn_spec *spec) {
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        int val = lua_gettop(L);
        if (strcmp(key, "function_name") == 0) {
            if (lua_type(L, val) != LUA_TSTRING)
                return "ERR function_name argument given to redis.register_function must be a "
                       "string";
            spec->name = lua_tolstring(L, val, &spec->namelen);
        } else if (strcmp(key, "description") == 0) {
            if (!lua_isstring(L, val))
                return "ERR description argument given to redis.register_function must be a "
                       "string";
            spec->desc = lua_tolstring(L, val, &spec->desclen);
        } else if (strcmp(key, "callback") == 0) {
            if (!lua_isfunction(L, val))
                return "ERR callback argument given to redis.register_function must be a "
                       "function";
            /* Kept on the stack below the iteration, where it stays valid. */
            lua_pushvalue(L, val);
            lua_insert(L, 2);
            spec->has_callback = 1;
            spec->callback = 2;
        } else if (strcmp(key, "flags") == 0) {
            const char *err = read_flags(L, val, spec);
            if (err) return err;
        } else {
            return "ERR unknown argument given to redis.register_function";
        }
        lua_pop(L, 1);
    }
    if (!spec->name) return "ERR redis.register_function must get a function name argument";
    if (!spec->has_callback) return "ERR redis.register_function must get a callback argument";
    return NULL;
}

static const char *read_spec(lua_State *L, fn_spec *spec) {
    int argc = lua_gettop(L);
    if (argc == 1) {
        if (!lua_istable(L, 1))
            return "ERR calling redis.register_function with a single argument is only "
                   "applicable to Lua table (representing named arguments).";
        return read_named_args(L, spec);
    }
    if (argc != 2) return "ERR wrong number of arguments to redis.register_function";
    if (lua_type(L, 1) != LUA_TSTRING)
        return "ERR first argument to redis.register_function must be a string";
    if (!lua_isfunction(L, 2))
        return "ERR second argument to redis.register_function must be a function";
    spec->name = lua_tolstring(L, 1, &spec->namelen);
    spec->has_callback = 1;
    spec->callback = 2;
    return NULL;
}

static int register_function(lua_State *L) {
    if (!loading) return slua_raise(L, "ERR redis.register_function can only be called on FUNCTION LOAD command");
    fn_spec spec = {0};
    const char *err = read_spec(L, &spec);
    if (err) return slua_raise(L, err);
    if (!valid_name(spec.name, spec.namelen))
        return slua_raise(L, "ERR Library names can only contain letters, numbers, or "
                             "underscores(_) and must be at least one character long");
    /* Within a library names differ by case (Redis 7.0 allows "p" and "P";
     * FCALL then reaches the later one). */
    for (fn_function *f = loading->functions; f; f = f->next)
        if (strlen(f->name) == spec.namelen && memcmp(f->name, spec.name, spec.namelen) == 0)
            return slua_raise(L, "ERR Function already exists in the library");
    /* The reference first: it is the one step that can raise a memory
     * error, and nothing of C's is allocated yet to leak when it does. */
    lua_pushvalue(L, spec.callback);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    fn_function *f = mem_calloc(sizeof *f);
    f->lib = loading;
    f->name = copy_str(spec.name, spec.namelen);
    f->desc = spec.desc ? copy_str(spec.desc, spec.desclen) : NULL;
    f->flags = spec.flags;
    f->ref = ref;
    /* Appended, so FUNCTION LIST shows them in registration order. */
    fn_function **tail = &loading->functions;
    while (*tail) tail = &(*tail)->next;
    *tail = f;
    loading->nfunctions++;
    return 0;
}

/* ---- loading a library ---- */

static void load_timeout_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (clock_now_ms() < load_deadline_ms) return;
    lua_sethook(L, load_timeout_hook, LUA_MASKLINE, 0); /* keep raising until it ends */
    slua_raise(L, "ERR FUNCTION LOAD timeout");
}

/* Reads "#!lua name=<lib>": the name's bounds, and the length of the line
 * (skipped when compiling; the newline stays, for line numbers). */
static const char *parse_metadata(const char *code, size_t len, const char **name,
                                  size_t *namelen, size_t *skip, char *err, size_t errlen) {
    if (len < 2 || code[0] != '#' || code[1] != '!') return "ERR Missing library metadata";
    const char *nl = memchr(code, '\n', len);
    size_t line = nl ? (size_t)(nl - code) : len;
    *skip = line;
    *name = NULL;
    size_t pos = 2;
    for (int part = 0; pos < line; part++) {
        while (pos < line && code[pos] == ' ') pos++;
        if (pos >= line) break;
        size_t b = pos;
        while (pos < line && code[pos] != ' ') pos++;
        const char *w = code + b;
        int wl = (int)(pos - b);
        if (part == 0) {
            if (wl != 3 || strncasecmp(w, "lua", 3) != 0) {
                snprintf(err, errlen, "ERR Engine '%.*s' not found", wl, w);
                return err;
            }
        } else if (wl >= 5 && memcmp(w, "name=", 5) == 0) {
            if (*name) return "ERR Invalid metadata value, name argument was given multiple times";
            *name = w + 5;
            *namelen = (size_t)wl - 5;
        } else {
            snprintf(err, errlen, "ERR Invalid metadata value given: %.*s", wl, w);
            return err;
        }
    }
    if (pos == 2) {
        snprintf(err, errlen, "ERR Engine '' not found");
        return err;
    }
    if (!*name) return "ERR Library name was not given";
    if (!valid_name(*name, *namelen))
        return "ERR Library names can only contain letters, numbers, or underscores(_) and must "
               "be at least one character long";
    return NULL;
}

/* Compiles and runs a library's code apart from the loaded ones. Returns
 * the library, or NULL with the error text in err. */
static fn_library *library_build(const char *code, size_t len, char *err, size_t errlen) {
    const char *name;
    size_t namelen = 0, skip = 0;
    const char *bad = parse_metadata(code, len, &name, &namelen, &skip, err, errlen);
    if (bad) {
        if (bad != err) snprintf(err, errlen, "%s", bad);
        return NULL;
    }
    lua_State *L = state();
    /* A library from the snapshot or the log was accepted once: a lower
     * lua-memory-limit at start-up must not lose it or stop the start. */
    int limited = !recovery_loading();
    int rc = limited ? slua_load(L, code + skip, len - skip, "@user_function")
                     : luaL_loadbuffer(L, code + skip, len - skip, "@user_function");
    if (rc != 0) {
        snprintf(err, errlen, "ERR Error compiling function: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return NULL;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SLUA_GLOBALS_PROXY);
    lua_setfenv(L, -2);
    fn_library *lib = mem_calloc(sizeof *lib);
    lib->name = copy_str(name, namelen);
    lib->code = dstr_new(code, len);

    slua_push_error_handler(L);
    lua_insert(L, -2);
    int base = lua_gettop(L) - 1;
    loading = lib;
    load_deadline_ms = clock_now_ms() + FUNCTION_LOAD_TIMEOUT_MS;
    use_load_globals(L, 1);
    lua_sethook(L, load_timeout_hook, LUA_MASKCOUNT, 100000);
    slua_limit_prepare(L);
    if (limited) slua_limit_enter(L);
    rc = lua_pcall(L, 0, 0, base);
    slua_limit_leave(L);
    lua_sethook(L, NULL, 0, 0);
    use_load_globals(L, 0);
    loading = NULL;
    if (rc == LUA_ERRMEM) {
        snprintf(err, errlen, "ERR Error registering functions: " SLUA_OOM_TEXT);
    } else if (rc != 0) {
        const char *msg = NULL;
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            msg = lua_tostring(L, -1);
        }
        snprintf(err, errlen, "ERR Error registering functions: %s", msg ? msg : "unknown error");
    } else if (lib->nfunctions == 0) {
        snprintf(err, errlen, "ERR No functions registered");
        rc = 1;
    }
    lua_settop(L, base - 1);
    if (rc != 0) {
        library_free(lib);
        if (rc == LUA_ERRMEM) lua_gc(L, LUA_GCCOLLECT, 0);
        return NULL;
    }
    return lib;
}

/* How new libraries meet the loaded ones: same name an error, same name
 * replaced, or every loaded library dropped (FUNCTION RESTORE ... FLUSH). */
enum { ON_CLASH_FAIL, ON_CLASH_REPLACE, ON_CLASH_FLUSH };

/* Checks that the new libraries can join the loaded ones (names, and
 * function names against other libraries), then links them, replacing
 * same-named ones under ON_CLASH_REPLACE. All or nothing: on error nothing
 * changed and err says why. */
static int libraries_commit(fn_library **libs, int n, int on_clash, int quote_name, char *err,
                             size_t errlen) {
    ensure_tables();
    int flush = on_clash == ON_CLASH_FLUSH;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(libs[i]->name);
        fn_library *old = flush ? NULL : library_find(libs[i]->name, len);
        for (int j = 0; j < i; j++)
            if (strcmp(libs[j]->name, libs[i]->name) == 0) old = libs[j];
        if (old && on_clash == ON_CLASH_FAIL) {
            /* LOAD quotes the name, RESTORE does not (Redis 7.0's texts). */
            snprintf(err, errlen, quote_name ? "ERR Library '%s' already exists"
                                             : "ERR Library %s already exists", libs[i]->name);
            return -1;
        }
        for (fn_function *f = libs[i]->functions; f; f = f->next) {
            fn_function *other = flush ? NULL : function_find(f->name, strlen(f->name));
            /* A function of a library that this commit replaces does not count. */
            int replaced = 0;
            for (int j = 0; other && j < n; j++)
                if (strcmp(other->lib->name, libs[j]->name) == 0) replaced = 1;
            if (other && !replaced) {
                snprintf(err, errlen, "ERR Function %s already exists", f->name);
                return -1;
            }
            for (int j = 0; j < i; j++)
                for (fn_function *g = libs[j]->functions; g; g = g->next)
                    if (strcasecmp(g->name, f->name) == 0) {
                        snprintf(err, errlen, "ERR Function %s already exists", f->name);
                        return -1;
                    }
        }
    }
    if (flush) {
        dict_clear(&functions, NULL, NULL);
        dict_clear(&libraries, free_library_node, NULL);
    }
    for (int i = 0; i < n; i++) {
        fn_library *old = library_find(libs[i]->name, strlen(libs[i]->name));
        if (old) {
            library_unlink(old);
            library_free(old);
        }
        library_link(libs[i]);
    }
    return 0;
}

int function_load_code(const char *code, size_t len, char *err, size_t errlen) {
    fn_library *lib = library_build(code, len, err, errlen);
    if (!lib) return -1;
    if (libraries_commit(&lib, 1, ON_CLASH_REPLACE, 1, err, errlen) < 0) {
        library_free(lib);
        return -1;
    }
    return 0;
}

void function_memory(script_memory_info *out) {
    if (fL) out->function_vm_bytes = slua_memory(fL);
    if (!tables_ready) return;
    dict_iter it;
    dict_iter_init(&libraries, &it);
    for (dict_node *n; (n = dict_iter_next(&it));) {
        fn_library *lib = (fn_library *)n;
        out->libraries++;
        out->functions += (size_t)lib->nfunctions;
        out->library_code_bytes += lib->code->len;
    }
    dict_iter_done(&it);
}

void function_foreach_library(void (*fn)(const char *code, size_t len, void *arg), void *arg) {
    if (!tables_ready) return;
    dict_iter it;
    dict_iter_init(&libraries, &it);
    for (dict_node *n; (n = dict_iter_next(&it));) {
        fn_library *lib = (fn_library *)n;
        fn(lib->code->buf, lib->code->len, arg);
    }
    dict_iter_done(&it);
}

/* ---- FUNCTION LOAD / DELETE / FLUSH ---- */

static void function_load_cmd(client *c) {
    int replace = 0;
    if (c->argc == 4) {
        if (!arg_is(&c->argv[2], "replace")) {
            reply_errorf(c, "ERR Unknown option given: %.*s", (int)c->argv[2].len,
                         c->argv[2].ptr);
            return;
        }
        replace = 1;
    } else if (c->argc != 3) {
        reply_error_arity(c);
        return;
    }
    const resp_arg *code = &c->argv[c->argc - 1];
    char err[FN_ERR_MAX];
    fn_library *lib = library_build(code->ptr, code->len, err, sizeof err);
    if (!lib || libraries_commit(&lib, 1, replace ? ON_CLASH_REPLACE : ON_CLASH_FAIL, 1,
                                 err, sizeof err) < 0) {
        if (lib) library_free(lib);
        reply_error(c, err);
        return;
    }
    server_dirty_add(1);
    reply_bulk_cstr(c, lib->name);
}

static void function_delete_cmd(client *c) {
    fn_library *lib = library_find(c->argv[2].ptr, c->argv[2].len);
    if (!lib) {
        reply_error(c, "ERR Library not found");
        return;
    }
    library_unlink(lib);
    library_free(lib);
    server_dirty_add(1);
    reply_ok(c);
}

/* [ASYNC|SYNC] as FLUSH takes it; -1 after replying the error. */
static int parse_flush_mode(client *c, int at) {
    if (c->argc > at + 1 ||
        (c->argc == at + 1 && !arg_is(&c->argv[at], "sync") && !arg_is(&c->argv[at], "async"))) {
        reply_error(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return -1;
    }
    return 0;
}

static void function_flush_cmd(client *c) {
    if (parse_flush_mode(c, 2) < 0) return;
    flush_all();
    server_dirty_add(1);
    reply_ok(c);
}

/* ---- FUNCTION LIST / STATS ---- */

static void reply_function(client *c, const fn_function *f) {
    reply_map(c, 3);
    reply_bulk_cstr(c, "name");
    reply_bulk_cstr(c, f->name);
    reply_bulk_cstr(c, "description");
    reply_bulk_cstr(c, f->desc);
    reply_bulk_cstr(c, "flags");
    int n = 0;
    for (int i = 0; i < SCRIPT_FLAG_COUNT; i++)
        if (f->flags & (1 << i)) n++;
    reply_set(c, n);
    for (int i = 0; i < SCRIPT_FLAG_COUNT; i++)
        if (f->flags & (1 << i)) reply_status(c, script_flag_names[i]);
}

static void reply_library(client *c, const fn_library *lib, int with_code) {
    reply_map(c, with_code ? 4 : 3);
    reply_bulk_cstr(c, "library_name");
    reply_bulk_cstr(c, lib->name);
    reply_bulk_cstr(c, "engine");
    reply_bulk_cstr(c, "LUA");
    reply_bulk_cstr(c, "functions");
    reply_array(c, lib->nfunctions);
    for (const fn_function *f = lib->functions; f; f = f->next) reply_function(c, f);
    if (with_code) {
        reply_bulk_cstr(c, "library_code");
        reply_bulk(c, lib->code->buf, lib->code->len);
    }
}

static void function_list_cmd(client *c) {
    int with_code = 0;
    const resp_arg *pattern = NULL;
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "withcode") && !with_code) {
            with_code = 1;
        } else if (arg_is(&c->argv[i], "libraryname") && !pattern) {
            if (i + 1 >= c->argc) {
                reply_error(c, "ERR library name argument was not given");
                return;
            }
            pattern = &c->argv[++i];
        } else {
            reply_errorf(c, "ERR Unknown argument %.*s", (int)c->argv[i].len, c->argv[i].ptr);
            return;
        }
    }
    ensure_tables();
    reply_deferred d = reply_defer(c);
    long n = 0;
    dict_iter it;
    dict_iter_init(&libraries, &it);
    for (dict_node *node; (node = dict_iter_next(&it));) {
        fn_library *lib = (fn_library *)node;
        if (pattern &&
            !glob_match(pattern->ptr, pattern->len, lib->name, strlen(lib->name), 1))
            continue;
        reply_library(c, lib, with_code);
        n++;
    }
    dict_iter_done(&it);
    reply_defer_array(c, d, n);
}

static void function_stats_cmd(client *c) {
    ensure_tables();
    reply_map(c, 2);
    reply_bulk_cstr(c, "running_script");
    if (script_current && script_current->is_function) {
        client *caller = script_current->caller;
        reply_map(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, script_current->name);
        reply_bulk_cstr(c, "command");
        reply_array(c, caller->argc);
        for (int i = 0; i < caller->argc; i++)
            reply_bulk(c, caller->argv[i].ptr, caller->argv[i].len);
        reply_bulk_cstr(c, "duration_ms");
        reply_int(c, clock_now_ms() - script_current->start_ms);
    } else {
        reply_null(c);
    }
    reply_bulk_cstr(c, "engines");
    reply_map(c, 1);
    reply_bulk_cstr(c, "LUA");
    reply_map(c, 2);
    reply_bulk_cstr(c, "libraries_count");
    reply_int(c, (long long)dict_size(&libraries));
    reply_bulk_cstr(c, "functions_count");
    long long nfunctions = 0;
    dict_iter it;
    dict_iter_init(&libraries, &it);
    for (dict_node *n; (n = dict_iter_next(&it));) nfunctions += ((fn_library *)n)->nfunctions;
    dict_iter_done(&it);
    reply_int(c, nfunctions);
}

static void function_kill_cmd(client *c) {
    script_kill(c, 1);
}

/* ---- FUNCTION DUMP / RESTORE ---- */

/* The payload: [FN_DUMP_TYPE][0][varint count][blob code]... and the DUMP
 * footer (version, CRC-32C), so RESTORE verifies it like a key's. */
static void dump_one(const char *code, size_t len, void *arg) {
    dump_put_blob((dstr **)arg, code, len);
}

static void function_dump_cmd(client *c) {
    ensure_tables();
    dstr *out = dstr_new(NULL, 0);
    dump_put_u8(&out, FN_DUMP_TYPE);
    dump_put_u8(&out, 0);
    dump_put_varint(&out, dict_size(&libraries));
    function_foreach_library(dump_one, &out);
    dump_put_footer(&out);
    reply_bulk(c, out->buf, out->len);
    dstr_free(out);
}

enum { RESTORE_APPEND, RESTORE_REPLACE, RESTORE_FLUSH };

static void free_built(fn_library **libs, int n) {
    for (int i = 0; i < n; i++) library_free(libs[i]);
    mem_free(libs);
}

static void function_restore_cmd(client *c) {
    int policy = RESTORE_APPEND;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "append"))
            policy = RESTORE_APPEND;
        else if (arg_is(&c->argv[3], "replace"))
            policy = RESTORE_REPLACE;
        else if (arg_is(&c->argv[3], "flush"))
            policy = RESTORE_FLUSH;
        else {
            reply_error(c, "ERR Wrong restore policy given, value should be either FLUSH, APPEND "
                           "or REPLACE.");
            return;
        }
    } else if (c->argc != 3) {
        reply_error_arity(c);
        return;
    }
    const resp_arg *p = &c->argv[2];
    const unsigned char *u = (const unsigned char *)p->ptr;
    if (dump_verify(p->ptr, p->len) != DUMP_OK || u[0] != FN_DUMP_TYPE) {
        reply_error(c, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    dump_reader r = {u + 2, u + p->len - DUMP_FOOTER_LEN};
    uint64_t count;
    if (dump_get_varint(&r, &count) < 0 || count > dump_remaining(&r)) {
        reply_error(c, "ERR payload is malformed");
        return;
    }
    fn_library **libs = mem_calloc((count ? count : 1) * sizeof *libs);
    char err[FN_ERR_MAX];
    int n = 0;
    for (; n < (int)count; n++) {
        const char *code;
        size_t len;
        if (dump_get_blob(&r, &code, &len) < 0) {
            snprintf(err, sizeof err, "ERR payload is malformed");
            break;
        }
        if (!(libs[n] = library_build(code, len, err, sizeof err))) break;
    }
    if (n < (int)count || r.p != r.end) {
        if (n == (int)count) snprintf(err, sizeof err, "ERR payload is malformed");
        free_built(libs, n);
        reply_error(c, err);
        return;
    }
    int on_clash = policy == RESTORE_REPLACE ? ON_CLASH_REPLACE
                   : policy == RESTORE_FLUSH ? ON_CLASH_FLUSH
                                             : ON_CLASH_FAIL;
    if (libraries_commit(libs, n, on_clash, 0, err, sizeof err) < 0) {
        free_built(libs, n);
        reply_error(c, err);
        return;
    }
    mem_free(libs);
    server_dirty_add(1);
    reply_ok(c);
}

static void function_help_cmd(client *c) {
    static const char *const help[] = {
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library).",
        NULL};
    reply_help(c, help);
}

/* ---- FCALL ---- */

static void fcall_generic(client *c, int readonly) {
    fn_function *f = function_find(c->argv[1].ptr, c->argv[1].len);
    if (!f) {
        reply_error(c, "ERR Function not found");
        return;
    }
    int nkeys = script_parse_numkeys(c, 1);
    if (nkeys < 0) return;
    /* FCALL is never logged: the commands the function ran are. */
    propagate_suppress();
    if (script_check_flags(c, f->flags, readonly) < 0) return;
    lua_State *L = state();
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
    script_run run = {.readonly = readonly, .flags = f->flags, .is_function = 1, .name = f->name};
    script_call(L, c, &run, nkeys, c->argv + 3, c->argc - 3 - nkeys, c->argv + 3 + nkeys, 1);
}

static void fcall_command(client *c) {
    fcall_generic(c, 0);
}

static void fcall_ro_command(client *c) {
    fcall_generic(c, 1);
}

#define FN_SUB(name_, proc_, arity_, flags_, acl_, summary_, complexity_)                        \
    {.name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = ACL_SCRIPTING | acl_, \
     .summary = summary_, .since = "7.0.0", .group = "scripting", .complexity = complexity_}

static command function_subcommands[] = {
    FN_SUB("load", function_load_cmd, -3, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT, 0,
           "Creates a library.", "O(1) (considering compilation time is redundant)"),
    FN_SUB("delete", function_delete_cmd, 3, CMD_WRITE | CMD_NOSCRIPT, 0,
           "Deletes a library and its functions.", "O(1)"),
    FN_SUB("flush", function_flush_cmd, -2, CMD_WRITE | CMD_NOSCRIPT, 0,
           "Deletes all libraries and functions.", "O(N) where N is the number of functions deleted"),
    FN_SUB("restore", function_restore_cmd, -3, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT, 0,
           "Restores all libraries from a payload.", "O(N) where N is the number of functions on the payload"),
    FN_SUB("dump", function_dump_cmd, 2, CMD_NOSCRIPT, 0,
           "Dumps all libraries into a serialized binary payload.", "O(N) where N is the number of functions"),
    FN_SUB("list", function_list_cmd, -2, CMD_NOSCRIPT, 0,
           "Returns information about all libraries.", "O(N) where N is the number of functions"),
    FN_SUB("stats", function_stats_cmd, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, 0,
           "Returns information about a function during execution.", "O(1)"),
    FN_SUB("kill", function_kill_cmd, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, 0,
           "Terminates a function during execution.", "O(1)"),
    FN_SUB("help", function_help_cmd, 2, CMD_LOADING | CMD_STALE, 0,
           "Returns helpful text about the different subcommands.", "O(1)"),
    {.name = NULL},
};

#define FCALL_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_STALE)

static command function_commands[] = {
    {.name = "fcall",
     .proc = fcall_command,
     .arity = -3,
     .flags = FCALL_FLAGS,
     .acl = ACL_SCRIPTING,
     .getkeys = script_numkeys_getkeys,
     .summary = "Invokes a function.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on the function that is executed."},
    {.name = "fcall_ro",
     .proc = fcall_ro_command,
     .arity = -3,
     .flags = FCALL_FLAGS | CMD_READONLY,
     .acl = ACL_SCRIPTING,
     .getkeys = script_numkeys_getkeys,
     .summary = "Invokes a read-only function.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on the function that is executed."},
    {.name = "function",
     .arity = -2,
     .summary = "A container for function commands.",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on subcommand.",
     .subcommands = function_subcommands},
    {.name = NULL},
};

void function_register(void) {
    command_register(function_commands);
}
