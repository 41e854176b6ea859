/*
 * pdb_cluster_keys.c - which slot a command belongs to.
 *
 * A key's slot is CRC16 (the XMODEM variant: polynomial 0x1021, initial
 * value 0, no reflection) of the key, or of its hash tag, modulo 16384.
 * A command's keys are found from a small built-in table of common commands
 * (no round trip), else from COMMAND INFO's first/last/step, asked once per
 * command name and cached; commands whose key positions depend on their
 * arguments (EVAL, ZUNIONSTORE, XREAD, container commands...) ask
 * COMMAND GETKEYS each time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cluster_int.h"
#include "ds/crc16.h"
#include "ds/mem.h"

/* Most keys looked at in one command (a GETKEYS reply is cut there). */
#define CLU_MAX_KEYS (1024 * 1024)

/* ---- slots ---- */

int pdb_cluster_keyslot(const char *key, size_t len) {
    if (!key) len = 0;
    const char *k = key ? key : "";
    const char *open = memchr(k, '{', len);
    if (open) {
        size_t start = (size_t)(open - k) + 1;
        const char *close = memchr(k + start, '}', len - start);
        /* "{}" hashes the whole key: an empty tag is no tag. */
        if (close && close > k + start)
            return crc16_xmodem(k + start, (size_t)(close - (k + start))) & (PDB_CLUSTER_SLOTS - 1);
    }
    return crc16_xmodem(k, len) & (PDB_CLUSTER_SLOTS - 1);
}

/* ---- the built-in table ---- */

typedef struct builtin_spec {
    const char *name;
    clu_keyspec spec;
} builtin_spec;

#define FIXED(f, l, s, ro)                                                                         \
    { CLU_KS_FIXED, f, l, s, ro }
#define KEYLESS                                                                                    \
    { CLU_KS_KEYLESS, 0, 0, 0, 0 }
#define GETKEYS                                                                                    \
    { CLU_KS_GETKEYS, 0, 0, 0, 0 }
#define REFUSED                                                                                    \
    { CLU_KS_REFUSED, 0, 0, 0, 0 }

/* Sorted by name (bsearch). Positions as COMMAND INFO gives them in 7.0. */
static const builtin_spec builtins[] = {
    {"APPEND", FIXED(1, 1, 1, 0)},
    {"ASKING", REFUSED},
    {"AUTH", REFUSED},
    {"BITCOUNT", FIXED(1, 1, 1, 1)},
    {"BLMOVE", FIXED(1, 2, 1, 0)},
    {"BLPOP", FIXED(1, -2, 1, 0)},
    {"BRPOP", FIXED(1, -2, 1, 0)},
    {"CLIENT", KEYLESS},
    {"CLUSTER", KEYLESS},
    {"COMMAND", KEYLESS},
    {"CONFIG", KEYLESS},
    {"COPY", FIXED(1, 2, 1, 0)},
    {"DBSIZE", KEYLESS},
    {"DECR", FIXED(1, 1, 1, 0)},
    {"DECRBY", FIXED(1, 1, 1, 0)},
    {"DEL", FIXED(1, -1, 1, 0)},
    {"DISCARD", REFUSED},
    {"DUMP", FIXED(1, 1, 1, 1)},
    {"ECHO", KEYLESS},
    {"EVAL", GETKEYS},
    {"EVALSHA", GETKEYS},
    {"EXEC", REFUSED},
    {"EXISTS", FIXED(1, -1, 1, 1)},
    {"EXPIRE", FIXED(1, 1, 1, 0)},
    {"EXPIREAT", FIXED(1, 1, 1, 0)},
    {"FLUSHALL", KEYLESS},
    {"FLUSHDB", KEYLESS},
    {"GET", FIXED(1, 1, 1, 1)},
    {"GETBIT", FIXED(1, 1, 1, 1)},
    {"GETDEL", FIXED(1, 1, 1, 0)},
    {"GETEX", FIXED(1, 1, 1, 0)},
    {"GETRANGE", FIXED(1, 1, 1, 1)},
    {"GETSET", FIXED(1, 1, 1, 0)},
    {"HDEL", FIXED(1, 1, 1, 0)},
    {"HELLO", REFUSED},
    {"HEXISTS", FIXED(1, 1, 1, 1)},
    {"HGET", FIXED(1, 1, 1, 1)},
    {"HGETALL", FIXED(1, 1, 1, 1)},
    {"HINCRBY", FIXED(1, 1, 1, 0)},
    {"HINCRBYFLOAT", FIXED(1, 1, 1, 0)},
    {"HKEYS", FIXED(1, 1, 1, 1)},
    {"HLEN", FIXED(1, 1, 1, 1)},
    {"HMGET", FIXED(1, 1, 1, 1)},
    {"HMSET", FIXED(1, 1, 1, 0)},
    {"HSET", FIXED(1, 1, 1, 0)},
    {"HSETNX", FIXED(1, 1, 1, 0)},
    {"HVALS", FIXED(1, 1, 1, 1)},
    {"INCR", FIXED(1, 1, 1, 0)},
    {"INCRBY", FIXED(1, 1, 1, 0)},
    {"INCRBYFLOAT", FIXED(1, 1, 1, 0)},
    {"INFO", KEYLESS},
    {"KEYS", KEYLESS},
    {"LINDEX", FIXED(1, 1, 1, 1)},
    {"LLEN", FIXED(1, 1, 1, 1)},
    {"LMOVE", FIXED(1, 2, 1, 0)},
    {"LPOP", FIXED(1, 1, 1, 0)},
    {"LPUSH", FIXED(1, 1, 1, 0)},
    {"LRANGE", FIXED(1, 1, 1, 1)},
    {"LREM", FIXED(1, 1, 1, 0)},
    {"LSET", FIXED(1, 1, 1, 0)},
    {"LTRIM", FIXED(1, 1, 1, 0)},
    {"MGET", FIXED(1, -1, 1, 1)},
    {"MONITOR", REFUSED},
    {"MSET", FIXED(1, -1, 2, 0)},
    {"MSETNX", FIXED(1, -1, 2, 0)},
    {"MULTI", REFUSED},
    {"PERSIST", FIXED(1, 1, 1, 0)},
    {"PEXPIRE", FIXED(1, 1, 1, 0)},
    {"PEXPIREAT", FIXED(1, 1, 1, 0)},
    {"PFADD", FIXED(1, 1, 1, 0)},
    {"PFCOUNT", FIXED(1, -1, 1, 1)},
    {"PFMERGE", FIXED(1, -1, 1, 0)},
    {"PING", KEYLESS},
    {"PSETEX", FIXED(1, 1, 1, 0)},
    {"PSUBSCRIBE", REFUSED},
    {"PTTL", FIXED(1, 1, 1, 1)},
    {"PUBLISH", KEYLESS},
    {"PUNSUBSCRIBE", REFUSED},
    {"QUIT", REFUSED},
    {"RANDOMKEY", KEYLESS},
    {"READONLY", REFUSED},
    {"READWRITE", REFUSED},
    {"RENAME", FIXED(1, 2, 1, 0)},
    {"RENAMENX", FIXED(1, 2, 1, 0)},
    {"RESET", REFUSED},
    {"RESTORE", FIXED(1, 1, 1, 0)},
    {"RPOP", FIXED(1, 1, 1, 0)},
    {"RPOPLPUSH", FIXED(1, 2, 1, 0)},
    {"RPUSH", FIXED(1, 1, 1, 0)},
    {"SADD", FIXED(1, 1, 1, 0)},
    {"SCAN", KEYLESS},
    {"SCARD", FIXED(1, 1, 1, 1)},
    {"SDIFF", FIXED(1, -1, 1, 1)},
    {"SDIFFSTORE", FIXED(1, -1, 1, 0)},
    {"SELECT", REFUSED},
    {"SET", FIXED(1, 1, 1, 0)},
    {"SETBIT", FIXED(1, 1, 1, 0)},
    {"SETEX", FIXED(1, 1, 1, 0)},
    {"SETNX", FIXED(1, 1, 1, 0)},
    {"SETRANGE", FIXED(1, 1, 1, 0)},
    {"SINTER", FIXED(1, -1, 1, 1)},
    {"SINTERSTORE", FIXED(1, -1, 1, 0)},
    {"SISMEMBER", FIXED(1, 1, 1, 1)},
    {"SMEMBERS", FIXED(1, 1, 1, 1)},
    {"SMOVE", FIXED(1, 2, 1, 0)},
    {"SPOP", FIXED(1, 1, 1, 0)},
    {"SRANDMEMBER", FIXED(1, 1, 1, 1)},
    {"SREM", FIXED(1, 1, 1, 0)},
    {"SSUBSCRIBE", REFUSED},
    {"STRLEN", FIXED(1, 1, 1, 1)},
    {"SUBSCRIBE", REFUSED},
    {"SUNION", FIXED(1, -1, 1, 1)},
    {"SUNIONSTORE", FIXED(1, -1, 1, 0)},
    {"SUNSUBSCRIBE", REFUSED},
    {"TIME", KEYLESS},
    {"TOUCH", FIXED(1, -1, 1, 1)},
    {"TTL", FIXED(1, 1, 1, 1)},
    {"TYPE", FIXED(1, 1, 1, 1)},
    {"UNLINK", FIXED(1, -1, 1, 0)},
    {"UNSUBSCRIBE", REFUSED},
    {"UNWATCH", REFUSED},
    {"WATCH", REFUSED},
    {"XADD", FIXED(1, 1, 1, 0)},
    {"XLEN", FIXED(1, 1, 1, 1)},
    {"XRANGE", FIXED(1, 1, 1, 1)},
    {"XREAD", GETKEYS},
    {"XREVRANGE", FIXED(1, 1, 1, 1)},
    {"ZADD", FIXED(1, 1, 1, 0)},
    {"ZCARD", FIXED(1, 1, 1, 1)},
    {"ZCOUNT", FIXED(1, 1, 1, 1)},
    {"ZINCRBY", FIXED(1, 1, 1, 0)},
    {"ZRANGE", FIXED(1, 1, 1, 1)},
    {"ZRANGEBYSCORE", FIXED(1, 1, 1, 1)},
    {"ZRANK", FIXED(1, 1, 1, 1)},
    {"ZREM", FIXED(1, 1, 1, 0)},
    {"ZREVRANGE", FIXED(1, 1, 1, 1)},
    {"ZSCORE", FIXED(1, 1, 1, 1)},
    {"ZUNIONSTORE", GETKEYS},
};

static int builtin_cmp(const void *key, const void *elem) {
    return strcmp(key, ((const builtin_spec *)elem)->name);
}

static const clu_keyspec *builtin_lookup(const char *upper) {
    const builtin_spec *b = bsearch(upper, builtins, sizeof builtins / sizeof builtins[0],
                                    sizeof builtins[0], builtin_cmp);
    return b ? &b->spec : NULL;
}

/* ---- the cache of COMMAND INFO answers ---- */

void clu_specs_free(pdb_cluster *cl) {
    mem_free(cl->specs);
    cl->specs = NULL;
    cl->nspecs = 0;
}

static const clu_keyspec *cache_lookup(const pdb_cluster *cl, const char *upper) {
    for (size_t i = 0; i < cl->nspecs; i++)
        if (strcmp(cl->specs[i].name, upper) == 0) return &cl->specs[i].spec;
    return NULL;
}

/* Past CLU_SPEC_CACHE names nothing more is cached: such commands ask each time. */
static void cache_store(pdb_cluster *cl, const char *upper, const clu_keyspec *spec) {
    if (cl->nspecs >= CLU_SPEC_CACHE) return;
    if (!cl->specs) cl->specs = mem_calloc(CLU_SPEC_CACHE * sizeof(*cl->specs));
    clu_spec_entry *e = &cl->specs[cl->nspecs++];
    memcpy(e->name, upper, strlen(upper) + 1);
    e->spec = *spec;
}

static int flag_set_has(const pdb_reply *flags, const char *want) {
    for (size_t i = 0; i < pdb_reply_elements(flags); i++) {
        const char *f = pdb_reply_str(pdb_reply_element(flags, i));
        if (f && strcasecmp(f, want) == 0) return 1;
    }
    return 0;
}

/* Reads one COMMAND INFO entry: [name, arity, flags, first, last, step, acl,
 * tips, key specs, subcommands]. Anything unexpected means "ask GETKEYS". */
static clu_keyspec spec_from_info(const pdb_reply *e) {
    clu_keyspec s = {CLU_KS_GETKEYS, 0, 0, 0, 0};
    if (!e || pdb_reply_type(e) == PDB_REPLY_NULL) return (clu_keyspec)KEYLESS;
    if (pdb_reply_elements(e) < 6) return s;
    const pdb_reply *flags = pdb_reply_element(e, 2);
    const pdb_reply *sub = pdb_reply_element(e, 9);
    s.readonly = flag_set_has(flags, "readonly");
    if (flag_set_has(flags, "movablekeys") || (sub && pdb_reply_elements(sub) > 0)) return s;
    long long first = pdb_reply_integer(pdb_reply_element(e, 3));
    long long last = pdb_reply_integer(pdb_reply_element(e, 4));
    long long step = pdb_reply_integer(pdb_reply_element(e, 5));
    if (first == 0) return (clu_keyspec){CLU_KS_KEYLESS, 0, 0, 0, s.readonly};
    if (first < 0 || first > CLU_MAX_KEYS || last < -CLU_MAX_KEYS || last > CLU_MAX_KEYS ||
        step <= 0 || step > CLU_MAX_KEYS)
        return s;
    s.kind = CLU_KS_FIXED;
    s.first = (int)first;
    s.last = (int)last;
    s.step = (int)step;
    return s;
}

/* Asks COMMAND INFO once; a command the servers cannot describe (no node
 * answers) is not cached, so the next call asks again. */
static int spec_from_server(pdb_cluster *cl, const char *name, size_t len, clu_keyspec *out) {
    const char *argv[] = {"COMMAND", "INFO", name};
    size_t lens[] = {7, 4, len};
    pdb_reply *r = clu_any_call(cl, 3, argv, lens);
    if (!r) return cl->err ? cl->err : PDB_ERR_CLUSTER;
    if (pdb_reply_type(r) == PDB_REPLY_ARRAY && pdb_reply_elements(r) == 1)
        *out = spec_from_info(pdb_reply_element(r, 0));
    else
        *out = (clu_keyspec)GETKEYS;
    pdb_reply_free(r);
    return PDB_OK;
}

static int lookup_spec(pdb_cluster *cl, const cl_args *a, clu_keyspec *out) {
    size_t len;
    const char *name = clu_arg(a, 0, &len);
    if (len == 0 || len > CLU_NAME_MAX || memchr(name, '\0', len)) {
        /* No server knows such a name: let one answer with its error. */
        *out = (clu_keyspec)KEYLESS;
        return PDB_OK;
    }
    char upper[CLU_NAME_MAX + 1];
    for (size_t i = 0; i < len; i++)
        upper[i] = (char)toupper((unsigned char)name[i]);
    upper[len] = '\0';
    const clu_keyspec *s = builtin_lookup(upper);
    if (!s) s = cache_lookup(cl, upper);
    if (s) {
        *out = *s;
        return PDB_OK;
    }
    int rc = spec_from_server(cl, upper, len, out);
    if (rc == PDB_OK) cache_store(cl, upper, out);
    return rc;
}

/* ---- routing ---- */

/* Folds one more key into the command's slot. */
static int add_key(pdb_cluster *cl, const char *key, size_t len, int *slot) {
    int s = pdb_cluster_keyslot(key, len);
    if (*slot >= 0 && s != *slot) {
        clu_set_error(cl, PDB_ERR_CROSSSLOT,
                      "CROSSSLOT Keys in request don't hash to the same slot");
        return PDB_ERR_CROSSSLOT;
    }
    *slot = s;
    return PDB_OK;
}

static int route_fixed(pdb_cluster *cl, const cl_args *a, const clu_keyspec *s, int *slot) {
    int last = s->last < 0 ? a->argc + s->last : s->last;
    if (last >= a->argc) last = a->argc - 1;
    for (int i = s->first; i <= last; i += s->step) {
        size_t len;
        const char *k = clu_arg(a, i, &len);
        int rc = add_key(cl, k, len, slot);
        if (rc != PDB_OK) return rc;
    }
    return PDB_OK;
}

/* COMMAND GETKEYS with the whole command; an error reply (no keys, or
 * arguments it cannot read) leaves the command keyless, and the node it
 * goes to answers for it. */
static int route_getkeys(pdb_cluster *cl, const cl_args *a, int *slot) {
    int argc = a->argc + 2;
    const char **argv = mem_alloc((size_t)argc * sizeof(*argv));
    size_t *lens = mem_alloc((size_t)argc * sizeof(*lens));
    argv[0] = "COMMAND", lens[0] = 7;
    argv[1] = "GETKEYS", lens[1] = 7;
    for (int i = 0; i < a->argc; i++)
        argv[i + 2] = clu_arg(a, i, &lens[i + 2]);
    pdb_reply *r = clu_any_call(cl, argc, argv, lens);
    mem_free(argv);
    mem_free(lens);
    if (!r) return cl->err ? cl->err : PDB_ERR_CLUSTER;
    int rc = PDB_OK;
    if (pdb_reply_type(r) == PDB_REPLY_ARRAY) {
        size_t n = pdb_reply_elements(r);
        for (size_t i = 0; i < n && i < CLU_MAX_KEYS && rc == PDB_OK; i++) {
            const pdb_reply *k = pdb_reply_element(r, i);
            if (pdb_reply_type(k) == PDB_REPLY_STRING)
                rc = add_key(cl, pdb_reply_str(k), pdb_reply_len(k), slot);
        }
    }
    pdb_reply_free(r);
    return rc;
}

int clu_route(pdb_cluster *cl, const cl_args *a, int *slot, int *readonly) {
    clu_keyspec s;
    *slot = -1;
    *readonly = 0;
    if (a->argc <= 0) {
        clu_set_error(cl, PDB_ERR_ARG, "empty command");
        return PDB_ERR_ARG;
    }
    int rc = lookup_spec(cl, a, &s);
    if (rc != PDB_OK) return rc;
    *readonly = s.readonly;
    switch (s.kind) {
    case CLU_KS_FIXED:
        return route_fixed(cl, a, &s, slot);
    case CLU_KS_GETKEYS:
        return route_getkeys(cl, a, slot);
    case CLU_KS_REFUSED: {
        size_t len;
        const char *name = clu_arg(a, 0, &len);
        clu_set_error(cl, PDB_ERR_UNSUPPORTED, "%.*s is not supported by the cluster client",
                      (int)len, name);
        return PDB_ERR_UNSUPPORTED;
    }
    default:
        return PDB_OK;
    }
}
