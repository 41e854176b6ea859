/*
 * pdb_cache.c - an opt-in client-side cache of GET replies, kept correct by
 * the server's key tracking (CLIENT TRACKING).
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
 * Entries are indexed by key in a chained hash table and kept in LRU order;
 * the table is bounded by entry count and bytes, and each entry has a TTL.
 */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "ds/mem.h"

#define CACHE_MAX_ENTRIES 1000000
#define CACHE_ENTRY_OVERHEAD PDB_CACHE_ENTRY_OVERHEAD

typedef struct cl_centry {
    struct cl_centry *hnext;
    struct cl_centry *prev, *next; /* LRU: head is the most recent */
    uint64_t hash;
    uint64_t expires_us; /* 0: no TTL */
    int is_null;
    size_t keylen, vallen;
    char data[]; /* key, then value */
} cl_centry;

struct cl_cache {
    pdb_cache_options opt;
    cl_centry **buckets;
    size_t nbuckets; /* power of two */
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
    return CACHE_ENTRY_OVERHEAD + e->keylen + e->vallen;
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
    lru_unlink(k, e);
    k->entries--;
    k->bytes -= entry_bytes(e);
    mem_free(e);
}

static cl_centry *entry_find(cl_cache *k, const char *key, size_t len, uint64_t h) {
    for (cl_centry *e = k->buckets[h & (k->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->keylen == len && memcmp(e->data, key, len) == 0) return e;
    return NULL;
}

static void cache_flush(cl_cache *k) {
    while (k->head)
        entry_remove(k, k->head);
    k->st.flushes++;
}

static void invalidate_key(cl_cache *k, const char *key, size_t len) {
    cl_centry *e = entry_find(k, key, len, fnv1a(key, len));
    k->st.invalidations++;
    if (e) entry_remove(k, e);
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
    mem_free(k);
    c->cache = NULL;
}

static pdb_reply *reply_copy(const cl_centry *e) {
    const pdb_builder *b = pdb_default_builder();
    pdb_task t = {e->is_null ? PDB_REPLY_NULL : PDB_REPLY_STRING, 0, -1, NULL, NULL};
    return e->is_null ? b->create_nil(&t) : b->create_string(&t, e->data + e->keylen, e->vallen);
}

static void store(cl_cache *k, const char *key, size_t len, uint64_t h, const pdb_reply *r) {
    int is_null = pdb_reply_type(r) == PDB_REPLY_NULL;
    if (!is_null && pdb_reply_type(r) != PDB_REPLY_STRING) return;
    size_t vlen = is_null ? 0 : pdb_reply_len(r);
    size_t need = CACHE_ENTRY_OVERHEAD + len + vlen;
    if (need > k->opt.max_bytes) return;
    while (k->tail && (k->entries >= k->opt.max_entries || k->bytes + need > k->opt.max_bytes)) {
        entry_remove(k, k->tail);
        k->st.evictions++;
    }
    cl_centry *e = mem_alloc(sizeof(*e) + len + vlen);
    e->hash = h;
    e->expires_us = k->opt.ttl_ms ? cl_now_us() + (uint64_t)k->opt.ttl_ms * 1000 : 0;
    e->is_null = is_null;
    e->keylen = len;
    e->vallen = vlen;
    memcpy(e->data, key, len);
    if (vlen) memcpy(e->data + len, pdb_reply_str(r), vlen);
    cl_centry **b = &k->buckets[h & (k->nbuckets - 1)];
    e->hnext = *b;
    *b = e;
    lru_front(k, e);
    k->entries++;
    k->bytes += need;
}

static pdb_reply *plain_get(pdb_conn *c, const char *key, size_t len) {
    const char *argv[2] = {"GET", key};
    size_t lens[2] = {3, len};
    return pdb_command_argv(c, 2, argv, lens);
}

pdb_reply *pdb_cache_get(pdb_conn *c, const char *key, size_t keylen) {
    cl_cache *k = c->cache;
    if (!key) {
        cl_set_error(c, PDB_ERR_ARG, "no key");
        return NULL;
    }
    if (!k) return plain_get(c, key, keylen);
    if (c->pend_len || c->failed_pending) {
        cl_set_error(c, PDB_ERR_ARG, "pipelined replies are pending: take them first");
        return NULL;
    }
    if (c->fd >= 0) drain_invalidations(c);
    if (c->fd < 0) cl_cache_lost(c);
    if (!k->tracking && setup_tracking(c) != PDB_OK) return NULL;
    uint64_t h = fnv1a(key, keylen);
    cl_centry *e = entry_find(k, key, keylen, h);
    if (e && e->expires_us && cl_now_us() >= e->expires_us) {
        entry_remove(k, e);
        k->st.expired++;
        e = NULL;
    }
    if (e) {
        k->st.hits++;
        lru_unlink(k, e);
        lru_front(k, e);
        cl_clear_error(c);
        return reply_copy(e);
    }
    k->st.misses++;
    pdb_reply *r = plain_get(c, key, keylen);
    /* Stored only if tracking survived the call (no reconnect meanwhile). */
    if (r && k->tracking && pdb_is_connected(c)) store(k, key, keylen, h, r);
    return r;
}

void pdb_cache_get_stats(const pdb_conn *c, pdb_cache_stats *out) {
    memset(out, 0, sizeof(*out));
    if (!c->cache) return;
    *out = c->cache->st;
    out->entries = c->cache->entries;
    out->bytes = c->cache->bytes;
}
