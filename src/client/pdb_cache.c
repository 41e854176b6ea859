/*
 * pdb_cache.c - an opt-in client-side cache of the replies of read-only
 * single-key commands (an allow-list), kept correct by the server's key
 * tracking (CLIENT TRACKING).
 *
 * RESP3: tracking is switched on for the connection itself and invalidations
 * arrive as "invalidate" pushes on it. RESP2: a second connection subscribes
 * to __redis__:invalidate and the main one redirects its invalidations there.
 * Before every cached read the input already waiting on those sockets is
 * consumed without blocking, so an invalidation the server has sent is
 * applied before a stale entry could be served. Anything that could have
 * lost an invalidation (a reconnect, the second connection failing) empties
 * the cache and sets tracking up again.
 *
 * An entry is keyed by the whole command (name upper-cased, arguments as
 * given) and holds the reply encoded as RESP3, parsed again on each hit. It
 * sits in two chained hash tables: by command, to answer, and by key, so an
 * invalidation drops every entry of its key together. Entries are kept in
 * LRU order; the cache is bounded by entry count and bytes, and each entry
 * has a TTL.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client_int.h"
#include "ds/mem.h"

#define CACHE_MAX_ENTRIES 1000000
#define CACHE_ENTRY_OVERHEAD PDB_CACHE_ENTRY_OVERHEAD

typedef struct cl_centry {
    struct cl_centry *hnext;       /* chain by command */
    struct cl_centry *knext;       /* chain by key */
    struct cl_centry *prev, *next; /* LRU: head is the most recent */
    uint64_t hash, khash;
    uint64_t expires_us; /* 0: no TTL */
    size_t cmdlen, keylen, vallen, argbytes;
    char data[]; /* command, key, reply */
} cl_centry;

struct cl_cache {
    pdb_cache_options opt;
    cl_centry **buckets, **kbuckets;
    size_t nbuckets; /* power of two, both tables */
    cl_centry *head, *tail;
    size_t entries, bytes;
    int tracking;  /* tracking is on for the current connection */
    pdb_conn *inv; /* RESP2: the connection invalidations are redirected to */
    pdb_cache_stats st;
};

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static size_t entry_bytes(const cl_centry *e) {
    return CACHE_ENTRY_OVERHEAD + e->argbytes + e->vallen;
}

static void lru_unlink(cl_cache *k, cl_centry *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        k->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        k->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(cl_cache *k, cl_centry *e) {
    e->prev = NULL;
    e->next = k->head;
    if (k->head) k->head->prev = e;
    k->head = e;
    if (!k->tail) k->tail = e;
}

static void entry_remove(cl_cache *k, cl_centry *e) {
    cl_centry **pp = &k->buckets[e->hash & (k->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    pp = &k->kbuckets[e->khash & (k->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->knext;
    *pp = e->knext;
    lru_unlink(k, e);
    k->entries--;
    k->bytes -= entry_bytes(e);
    mem_free(e);
}

static cl_centry *entry_find(cl_cache *k, const char *cmd, size_t len, uint64_t h) {
    for (cl_centry *e = k->buckets[h & (k->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->cmdlen == len && memcmp(e->data, cmd, len) == 0) return e;
    return NULL;
}

static void cache_flush(cl_cache *k) {
    while (k->head)
        entry_remove(k, k->head);
    k->st.flushes++;
}

/* Drops every entry read from key (all its commands). */
static void invalidate_key(cl_cache *k, const char *key, size_t len) {
    uint64_t h = fnv1a(key, len);
    cl_centry *e = k->kbuckets[h & (k->nbuckets - 1)];
    k->st.invalidations++;
    while (e) {
        cl_centry *next = e->knext;
        if (e->khash == h && e->keylen == len && memcmp(e->data + e->cmdlen, key, len) == 0)
            entry_remove(k, e);
        e = next;
    }
}

/* The keys of an invalidation (an array of keys, or null: everything). */
static void apply_invalidation(cl_cache *k, const pdb_reply *keys) {
    if (!keys || pdb_reply_type(keys) == PDB_REPLY_NULL) {
        cache_flush(k);
        return;
    }
    for (size_t i = 0; i < pdb_reply_elements(keys); i++) {
        pdb_view v = pdb_reply_view(pdb_reply_element(keys, i));
        if (v.ptr) invalidate_key(k, v.ptr, v.len);
    }
}

static int view_is(pdb_view v, const char *s) {
    return v.ptr && v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

int cl_cache_route(pdb_conn *c, void *obj) {
    const pdb_reply *r = obj;
    if (!c->cache || c->custom_builder || pdb_reply_type(r) != PDB_REPLY_PUSH) return 0;
    if (pdb_reply_elements(r) != 2 ||
        !view_is(pdb_reply_view(pdb_reply_element(r, 0)), "invalidate"))
        return 0;
    apply_invalidation(c->cache, pdb_reply_element(r, 1));
    pdb_reply_free(obj);
    return 1;
}

void cl_cache_lost(pdb_conn *c) {
    cl_cache *k = c->cache;
    if (!k || !k->tracking) return;
    k->tracking = 0;
    cache_flush(k);
}

/* ---- reading what is already there, without blocking ---- */

/* Feeds the bytes waiting on x's socket to its reader and hands each
 * complete value to take; PDB_OK or the failure (x is then disconnected). */
static int drain_input(pdb_conn *x, void (*take)(pdb_conn *owner, pdb_reply *v), pdb_conn *owner) {
    if (x->fd < 0 || x->pend_len || x->custom_builder) return PDB_OK;
    for (;;) {
        int rc = cl_net_read_nowait(x, x->reader);
        if (rc < 0) {
            pdb_disconnect(x);
            return rc;
        }
        if (rc == 0) break;
        for (;;) {
            void *obj = NULL;
            if (resp_reader_get_reply(x->reader, &obj) != RESP_OK) {
                pdb_disconnect(x);
                return PDB_ERR_PROTOCOL;
            }
            if (!obj) break;
            take(owner, obj);
        }
    }
    return PDB_OK;
}

static void take_push(pdb_conn *owner, pdb_reply *v) {
    cl_deliver_push(owner, v);
}

/* RESP2: ["message", "__redis__:invalidate", keys-or-null]. */
static void take_redirected(pdb_conn *owner, pdb_reply *v) {
    if (pdb_reply_elements(v) == 3 && view_is(pdb_reply_view(pdb_reply_element(v, 0)), "message"))
        apply_invalidation(owner->cache, pdb_reply_element(v, 2));
    pdb_reply_free(v);
}

static void drain_invalidations(pdb_conn *c) {
    cl_cache *k = c->cache;
    if (c->proto == 3) {
        drain_input(c, take_push, c);
    } else if (k->inv && drain_input(k->inv, take_redirected, c) != PDB_OK) {
        cl_cache_lost(c);
    }
}

/* ---- tracking setup ---- */

static int command_ok(pdb_conn *c, pdb_reply *r) {
    if (!r) return pdb_err(c);
    pdb_reply_free(r);
    return PDB_OK;
}

/* RESP2: a fresh invalidation connection, subscribed, and its id. */
static int open_redirect(pdb_conn *c, long long *id) {
    cl_cache *k = c->cache;
    pdb_free(k->inv);
    pdb_options o = c->opt;
    o.protocol = 2;
    o.client_name = NULL;
    k->inv = pdb_connect(&o);
    if (pdb_err(k->inv) != PDB_OK) {
        cl_set_error(c, pdb_err(k->inv), "invalidation connection: %s", pdb_errstr(k->inv));
        return c->err;
    }
    pdb_reply *r = pdb_command(k->inv, "CLIENT ID");
    if (!r || pdb_reply_type(r) != PDB_REPLY_INTEGER) {
        pdb_reply_free(r);
        cl_set_error(c, PDB_ERR_PROTOCOL, "CLIENT ID gave no integer");
        return PDB_ERR_PROTOCOL;
    }
    *id = pdb_reply_integer(r);
    pdb_reply_free(r);
    return command_ok(k->inv, pdb_command(k->inv, "SUBSCRIBE __redis__:invalidate"));
}

static int setup_tracking(pdb_conn *c) {
    cl_cache *k = c->cache;
    int rc = cl_ensure_connected(c);
    if (rc != PDB_OK) return rc;
    if (c->proto == 3) {
        rc = command_ok(c, pdb_command(c, "CLIENT TRACKING on"));
    } else {
        long long id = 0;
        rc = open_redirect(c, &id);
        if (rc == PDB_OK)
            rc = command_ok(c, pdb_command(c, "CLIENT TRACKING on REDIRECT %lld", id));
    }
    if (rc != PDB_OK) return rc;
    /* A reconnect inside the calls above would have reset tracking. */
    if (pdb_is_connected(c)) {
        cache_flush(k);
        k->tracking = 1;
    }
    return PDB_OK;
}

/* ---- the public calls ---- */

int pdb_cache_enable(pdb_conn *c, const pdb_cache_options *o) {
    if (!o || o->max_entries == 0 || o->max_entries > CACHE_MAX_ENTRIES || o->max_bytes == 0 ||
        o->ttl_ms < 0 || c->custom_builder) {
        cl_set_error(c, PDB_ERR_ARG,
                     "cache needs 1..%d entries, some bytes, a TTL >= 0 and the default builder",
                     CACHE_MAX_ENTRIES);
        return PDB_ERR_ARG;
    }
    pdb_cache_disable(c);
    cl_cache *k = mem_calloc(sizeof(*k));
    k->opt = *o;
    k->nbuckets = 16;
    while (k->nbuckets < o->max_entries)
        k->nbuckets *= 2;
    k->buckets = mem_calloc(k->nbuckets * sizeof(*k->buckets));
    k->kbuckets = mem_calloc(k->nbuckets * sizeof(*k->kbuckets));
    c->cache = k;
    cl_clear_error(c);
    return PDB_OK;
}

void pdb_cache_disable(pdb_conn *c) {
    cl_cache *k = c->cache;
    if (!k) return;
    if (k->tracking && pdb_is_connected(c) && c->pend_len == 0 && !c->failed_pending)
        pdb_reply_free(pdb_command(c, "CLIENT TRACKING off"));
    while (k->head)
        entry_remove(k, k->head);
    pdb_free(k->inv);
    mem_free(k->buckets);
    mem_free(k->kbuckets);
    mem_free(k);
    c->cache = NULL;
}

/* ---- what may be cached ---- */

/* Read-only commands on one key (argv[1]) whose reply depends only on that
 * key's value and the arguments: no clock, no randomness, no other key. */
static const char *const cacheable_names[] = {
    "GET",       "STRLEN",     "GETRANGE",         "SUBSTR",         "GETBIT",
    "BITCOUNT",  "BITPOS",     "HGET",             "HMGET",          "HGETALL",
    "HEXISTS",   "HLEN",       "HKEYS",            "HVALS",          "HSTRLEN",
    "LRANGE",    "LLEN",       "LINDEX",           "LPOS",           "SMEMBERS",
    "SISMEMBER", "SMISMEMBER", "SCARD",            "ZRANGE",         "ZRANGEBYSCORE",
    "ZRANGEBYLEX", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZREVRANGEBYLEX", "ZSCORE",
    "ZMSCORE",   "ZCARD",      "ZCOUNT",           "ZLEXCOUNT",      "ZRANK",
    "ZREVRANK",  "EXISTS",     "TYPE",             "XLEN",           "XRANGE",
    "XREVRANGE", "GEOPOS",     "GEODIST",          "GEOHASH"};

int pdb_cache_cacheable(int argc, const char *const *argv, const size_t *argvlen) {
    if (argc < 2 || !argv || !argvlen) return 0;
    size_t n = sizeof(cacheable_names) / sizeof(cacheable_names[0]);
    for (size_t i = 0; i < n; i++) {
        const char *w = cacheable_names[i];
        if (argvlen[0] == strlen(w) && strncasecmp(argv[0], w, argvlen[0]) == 0)
            return strcmp(w, "EXISTS") != 0 || argc == 2; /* EXISTS of one key */
    }
    return 0;
}

/* ---- replies kept as RESP3 bytes ---- */

static void put_line(resp_buf *b, char type, const char *s, size_t n) {
    resp_buf_append(b, &type, 1);
    resp_buf_append(b, s, n);
    resp_buf_append(b, "\r\n", 2);
}

static void put_blob(resp_buf *b, char type, const char *s, size_t n) {
    resp_buf_appendf(b, "%c%zu\r\n", type, n);
    resp_buf_append(b, s, n);
    resp_buf_append(b, "\r\n", 2);
}

/* Encodes r; 0 when it holds something not worth keeping (an error at the
 * top, a push, too deep). */
static int encode_reply(resp_buf *b, const pdb_reply *r, int depth) {
    pdb_view v = pdb_reply_view(r);
    size_t n = pdb_reply_elements(r);
    switch (pdb_reply_type(r)) {
    case PDB_REPLY_STATUS:
        put_line(b, '+', v.ptr, v.len);
        return 1;
    case PDB_REPLY_ERROR:
        if (depth == 0) return 0;
        put_blob(b, '!', v.ptr, v.len);
        return 1;
    case PDB_REPLY_INTEGER:
        resp_buf_appendf(b, ":%lld\r\n", pdb_reply_integer(r));
        return 1;
    case PDB_REPLY_STRING:
        put_blob(b, '$', v.ptr, v.len);
        return 1;
    case PDB_REPLY_NULL:
        resp_buf_append(b, "_\r\n", 3);
        return 1;
    case PDB_REPLY_DOUBLE:
        put_line(b, ',', v.ptr, v.len);
        return 1;
    case PDB_REPLY_BOOL:
        resp_buf_append(b, pdb_reply_integer(r) ? "#t\r\n" : "#f\r\n", 4);
        return 1;
    case PDB_REPLY_BIGNUM:
        put_line(b, '(', v.ptr, v.len);
        return 1;
    case PDB_REPLY_VERBATIM:
        resp_buf_appendf(b, "=%zu\r\n%.3s:", v.len + 4, pdb_reply_verbatim_format(r));
        resp_buf_append(b, v.ptr, v.len);
        resp_buf_append(b, "\r\n", 2);
        return 1;
    case PDB_REPLY_ARRAY:
    case PDB_REPLY_SET:
    case PDB_REPLY_MAP: {
        if (depth >= 16) return 0;
        int t = pdb_reply_type(r);
        char mark = t == PDB_REPLY_ARRAY ? '*' : t == PDB_REPLY_SET ? '~' : '%';
        resp_buf_appendf(b, "%c%zu\r\n", mark, t == PDB_REPLY_MAP ? n / 2 : n);
        for (size_t i = 0; i < n; i++)
            if (!encode_reply(b, pdb_reply_element(r, i), depth + 1)) return 0;
        return 1;
    }
    default:
        return 0;
    }
}

static pdb_reply *reply_copy(const cl_centry *e) {
    pdb_parser *p = pdb_parser_new(NULL, NULL);
    void *obj = NULL;
    pdb_parser_feed(p, e->data + e->cmdlen + e->keylen, e->vallen);
    pdb_parser_get(p, &obj);
    pdb_parser_free(p);
    return obj;
}

/* The command as the entry's identity: RESP with the name upper-cased. */
static void command_key(resp_buf *out, int argc, const char *const *argv, const size_t *lens) {
    char name[CL_NAME_MAX];
    size_t n = lens[0] < sizeof name ? lens[0] : sizeof name - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)argv[0][i]);
    const char *first = name;
    resp_buf_appendf(out, "*%d\r\n", argc);
    put_blob(out, '$', first, n);
    for (int i = 1; i < argc; i++)
        put_blob(out, '$', argv[i], lens[i]);
}

static void store(cl_cache *k, const resp_buf *cmd, uint64_t h, const char *key, size_t keylen,
                  size_t argbytes, const pdb_reply *r) {
    resp_buf val = {0};
    if (!encode_reply(&val, r, 0)) {
        resp_buf_free(&val);
        return;
    }
    size_t need = CACHE_ENTRY_OVERHEAD + argbytes + val.len;
    if (need <= k->opt.max_bytes) {
        while (k->tail &&
               (k->entries >= k->opt.max_entries || k->bytes + need > k->opt.max_bytes)) {
            entry_remove(k, k->tail);
            k->st.evictions++;
        }
        cl_centry *e = mem_alloc(sizeof(*e) + cmd->len + keylen + val.len);
        e->hash = h;
        e->khash = fnv1a(key, keylen);
        e->expires_us = k->opt.ttl_ms ? cl_now_us() + (uint64_t)k->opt.ttl_ms * 1000 : 0;
        e->cmdlen = cmd->len;
        e->keylen = keylen;
        e->vallen = val.len;
        e->argbytes = argbytes;
        memcpy(e->data, cmd->data, cmd->len);
        memcpy(e->data + cmd->len, key, keylen);
        memcpy(e->data + cmd->len + keylen, val.data, val.len);
        size_t slot = h & (k->nbuckets - 1), kslot = e->khash & (k->nbuckets - 1);
        e->hnext = k->buckets[slot];
        k->buckets[slot] = e;
        e->knext = k->kbuckets[kslot];
        k->kbuckets[kslot] = e;
        lru_front(k, e);
        k->entries++;
        k->bytes += need;
    }
    resp_buf_free(&val);
}

/* A live entry for the command, or NULL (an expired one is dropped). */
static cl_centry *lookup(cl_cache *k, const resp_buf *cmd, uint64_t h) {
    cl_centry *e = entry_find(k, cmd->data, cmd->len, h);
    if (e && e->expires_us && cl_now_us() >= e->expires_us) {
        entry_remove(k, e);
        k->st.expired++;
        e = NULL;
    }
    return e;
}

pdb_reply *pdb_cache_command_argv(pdb_conn *c, int argc, const char *const *argv,
                                  const size_t *argvlen) {
    cl_cache *k = c->cache;
    if (argc <= 0 || !argv || !argvlen) {
        cl_set_error(c, PDB_ERR_ARG, "empty command");
        return NULL;
    }
    if (!k || !pdb_cache_cacheable(argc, argv, argvlen)) {
        if (k) k->st.uncached++;
        return pdb_command_argv(c, argc, argv, argvlen);
    }
    if (c->pend_len || c->failed_pending) {
        cl_set_error(c, PDB_ERR_ARG, "pipelined replies are pending: take them first");
        return NULL;
    }
    if (c->fd >= 0) drain_invalidations(c);
    if (c->fd < 0) cl_cache_lost(c);
    if (!k->tracking && setup_tracking(c) != PDB_OK) return NULL;
    resp_buf cmd = {0};
    command_key(&cmd, argc, argv, argvlen);
    uint64_t h = fnv1a(cmd.data, cmd.len);
    cl_centry *e = lookup(k, &cmd, h);
    pdb_reply *r;
    if (e) {
        k->st.hits++;
        lru_unlink(k, e);
        lru_front(k, e);
        cl_clear_error(c);
        r = reply_copy(e);
    } else {
        k->st.misses++;
        r = pdb_command_argv(c, argc, argv, argvlen);
        size_t argbytes = 0;
        for (int i = 0; i < argc; i++)
            argbytes += argvlen[i];
        /* Stored only if tracking survived the call (no reconnect meanwhile). */
        if (r && k->tracking && pdb_is_connected(c))
            store(k, &cmd, h, argv[1], argvlen[1], argbytes, r);
    }
    resp_buf_free(&cmd);
    return r;
}

pdb_reply *pdb_cache_command(pdb_conn *c, const char *fmt, ...) {
    cl_args a;
    char err[96];
    va_list ap;
    va_start(ap, fmt);
    int rc = fmt ? cl_format(&a, fmt, ap, err, sizeof err) : PDB_ERR_ARG;
    va_end(ap);
    if (rc != PDB_OK) {
        cl_set_error(c, PDB_ERR_ARG, "%s", fmt ? err : "no format");
        return NULL;
    }
    if (a.argc == 0) {
        cl_args_free(&a);
        cl_set_error(c, PDB_ERR_ARG, "empty command");
        return NULL;
    }
    const char **argv = mem_alloc((size_t)a.argc * sizeof(*argv));
    size_t *lens = mem_alloc((size_t)a.argc * sizeof(*lens));
    for (int i = 0; i < a.argc; i++) {
        argv[i] = a.bytes.data + a.off[i];
        lens[i] = a.off[i + 1] - a.off[i];
    }
    pdb_reply *r = pdb_cache_command_argv(c, a.argc, argv, lens);
    mem_free(argv);
    mem_free(lens);
    cl_args_free(&a);
    return r;
}

pdb_reply *pdb_cache_get(pdb_conn *c, const char *key, size_t keylen) {
    if (!key) {
        cl_set_error(c, PDB_ERR_ARG, "no key");
        return NULL;
    }
    const char *argv[2] = {"GET", key};
    size_t lens[2] = {3, keylen};
    return pdb_cache_command_argv(c, 2, argv, lens);
}

void pdb_cache_get_stats(const pdb_conn *c, pdb_cache_stats *out) {
    memset(out, 0, sizeof(*out));
    if (!c->cache) return;
    *out = c->cache->st;
    out->entries = c->cache->entries;
    out->bytes = c->cache->bytes;
}
