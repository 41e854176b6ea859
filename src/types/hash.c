/*
 * hash.c - the hash type: field/value maps under one key, and the H*
 * commands.
 *
 * Two encodings, as in Redis:
 *   ENC_LISTPACK   a listpack of field,value,field,value... (ds/listpack.h);
 *                  lookups are linear, which is cheaper than a table while
 *                  the hash is small.
 *   ENC_HASHTABLE  an htable: a dict of hfield nodes, each one allocation
 *                  holding the dict link, the field and the value.
 * A hash converts listpack -> hashtable when it would hold more than
 * hash-max-listpack-entries fields, or when a field or value longer than
 * hash-max-listpack-value bytes is written into it. It never converts back
 * (Redis 7.0 does not either).
 *
 * Invariants:
 *  1. A key never holds an empty hash: the command removing the last field
 *     deletes the key.
 *  2. A listpack hash holds an even number of entries and no field twice.
 *  3. The kv's encoding says what the value pointer is: ENC_LISTPACK a
 *     listpack, ENC_HASHTABLE an htable.
 *  4. htable.bytes is the sum of the hfield sizes, so MEMORY USAGE and
 *     eviction need no walk.
 *
 * Called by: the dispatcher through the table hash_register() installs;
 * SORT through hash_get_field(); DUMP/RESTORE through the codec registered
 * here.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds/dict.h"
#include "ds/dstr.h"
#include "ds/glob.h"
#include "ds/listpack.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/handler.h"
#include "types/dump.h"
#include "types/hash.h"
#include "types/scan.h"
#include "types/types.h"

/* Redis refuses to grow a listpack past 1 GiB and converts instead. */
#define LP_SAFETY_SIZE (1ULL << 30)

/* ------------------------------------------------------------------------ */
/* The hashtable encoding                                                    */
/* ------------------------------------------------------------------------ */

typedef struct hfield {
    dict_node node;
    uint32_t flen, vlen;
    char data[]; /* field bytes, then value bytes */
} hfield;

typedef struct htable {
    size_t bytes;
    dict d;
} htable;

static const char *hfield_key(const dict_node *n, size_t *len) {
    const hfield *h = (const hfield *)n;
    *len = h->flen;
    return h->data;
}

static const dict_ops hfield_ops = {.key = hfield_key, .nocase = 0};

static size_t hfield_size(const hfield *h) {
    return sizeof(hfield) + h->flen + h->vlen;
}

static htable *htable_new(void) {
    htable *t = mem_alloc(sizeof *t);
    t->bytes = 0;
    dict_init(&t->d, &hfield_ops);
    return t;
}

static void hfield_free_cb(dict_node *n, void *arg) {
    (void)arg;
    mem_free(n);
}

static void htable_free(htable *t) {
    dict_clear(&t->d, hfield_free_cb, NULL);
    mem_free(t);
}

/* Links a new field; the caller knows it is absent. */
static void htable_add(htable *t, const char *f, size_t flen, const char *v, size_t vlen,
                       uint64_t h) {
    hfield *n = mem_alloc(sizeof *n + flen + vlen);
    n->flen = (uint32_t)flen;
    n->vlen = (uint32_t)vlen;
    memcpy(n->data, f, flen);
    memcpy(n->data + flen, v, vlen);
    dict_insert(&t->d, &n->node, h);
    t->bytes += hfield_size(n);
}

static hfield *htable_find(htable *t, const char *f, size_t flen) {
    return (hfield *)dict_find(&t->d, f, flen, dict_hash(f, flen));
}

/* Sets field f; 1 if it was created, 0 if its value was replaced. */
static int htable_set(htable *t, const char *f, size_t flen, const char *v, size_t vlen) {
    uint64_t h = dict_hash(f, flen);
    hfield *n = (hfield *)dict_find(&t->d, f, flen, h);
    if (!n) {
        htable_add(t, f, flen, v, vlen, h);
        return 1;
    }
    if (n->vlen != vlen) {
        /* The node keeps its link across realloc; the table then learns
         * the new address (dict_replace_node compares the old one only). */
        dict_node *old = &n->node;
        size_t old_size = hfield_size(n);
        n = mem_realloc(n, sizeof *n + flen + vlen);
        n->vlen = (uint32_t)vlen;
        dict_replace_node(&t->d, old, &n->node, h);
        t->bytes = t->bytes - old_size + hfield_size(n);
    }
    memcpy(n->data + flen, v, vlen);
    return 0;
}

static int htable_del(htable *t, const char *f, size_t flen) {
    dict_node *n = dict_remove(&t->d, f, flen, dict_hash(f, flen));
    if (!n) return 0;
    t->bytes -= hfield_size((hfield *)n);
    mem_free(n);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Encoding-independent access                                               */
/* ------------------------------------------------------------------------ */

static int is_lp(const kv *e) {
    return e->enc == ENC_LISTPACK;
}

static size_t hash_length(const kv *e) {
    if (is_lp(e)) return lp_count(kv_ptr(e)) / 2;
    return dict_size(&((htable *)kv_ptr(e))->d);
}

static int too_long(size_t len) {
    long long max = cfg->hash_max_listpack_value;
    return max < 0 || (unsigned long long)len > (unsigned long long)max;
}

static int too_many(size_t n) {
    long long max = cfg->hash_max_listpack_entries;
    return max < 0 || (unsigned long long)n > (unsigned long long)max;
}

/* The field's element in a listpack hash, or NULL. */
static unsigned char *lp_field(listpack *lp, const char *f, size_t flen) {
    unsigned char *p = lp_first(lp);
    return p ? lp_find(lp, p, f, flen, 1) : NULL;
}

static void convert_to_htable(kv *e) {
    listpack *lp = kv_ptr(e);
    htable *t = htable_new();
    char fb[LP_INTBUF], vb[LP_INTBUF];
    unsigned char *p = lp_first(lp);
    while (p) {
        unsigned char *vp = lp_next(lp, p);
        if (!vp) break;
        size_t fl, vl;
        const char *f = lp_get_str(p, &fl, fb);
        const char *v = lp_get_str(vp, &vl, vb);
        htable_add(t, f, fl, v, vl, dict_hash(f, fl));
        p = lp_next(lp, vp);
    }
    lp_free(lp);
    kv_set_ptr(e, t);
    kv_set_encoding(e, ENC_HASHTABLE);
}

int hash_get_field(const kv *e, const char *f, size_t flen, const char **v, size_t *vlen,
                   char buf[LP_INTBUF]) {
    if (is_lp(e)) {
        listpack *lp = kv_ptr(e);
        unsigned char *p = lp_field(lp, f, flen);
        if (!p) return 0;
        *v = lp_get_str(lp_next(lp, p), vlen, buf);
        return 1;
    }
    hfield *n = htable_find(kv_ptr(e), f, flen);
    if (!n) return 0;
    *v = n->data + n->flen;
    *vlen = n->vlen;
    return 1;
}

/* Sets a field; 1 if created, 0 if updated. Converts the encoding first
 * when the field or value is too long, and after an insert that passes the
 * entry limit (Redis's hashTypeSet). */
static int hash_set(kv *e, const char *f, size_t flen, const char *v, size_t vlen) {
    if (is_lp(e) && (too_long(flen) || too_long(vlen))) convert_to_htable(e);
    if (!is_lp(e)) return htable_set(kv_ptr(e), f, flen, v, vlen);

    listpack *lp = kv_ptr(e);
    unsigned char *p = lp_field(lp, f, flen);
    int created = p == NULL;
    if (p) {
        unsigned char *vp = lp_next(lp, p);
        lp = lp_replace(lp, &vp, v, vlen);
    } else {
        lp = lp_append(lp, f, flen);
        lp = lp_append(lp, v, vlen);
    }
    kv_set_ptr(e, lp);
    if (created && too_many(lp_count(lp) / 2)) convert_to_htable(e);
    return created;
}

static int hash_del(kv *e, const char *f, size_t flen) {
    if (!is_lp(e)) return htable_del(kv_ptr(e), f, flen);
    listpack *lp = kv_ptr(e);
    unsigned char *p = lp_field(lp, f, flen);
    if (!p) return 0;
    lp = lp_delete(lp, &p); /* the field; p is now its value */
    lp = lp_delete(lp, &p);
    kv_set_ptr(e, lp);
    return 1;
}

/* Redis's hashTypeTryConversion over argv[first..last]: any argument too
 * long for the listpack, or a total that would pass the listpack's safety
 * size, converts before anything is written. */
static void try_conversion(client *c, kv *e, int first, int last) {
    if (!is_lp(e)) return;
    unsigned long long sum = 0;
    for (int i = first; i <= last; i++) {
        size_t len = c->argv[i].len;
        if (too_long(len)) {
            convert_to_htable(e);
            return;
        }
        sum += len;
    }
    if (lp_bytes(kv_ptr(e)) + sum > LP_SAFETY_SIZE) convert_to_htable(e);
}

/* Fields and values are stored with 32-bit lengths. */
static int check_sizes(client *c, int first, int last) {
    for (int i = first; i <= last; i++) {
        if (c->argv[i].len > UINT32_MAX) {
            reply_error(c, "ERR hash field or value too large");
            return -1;
        }
    }
    return 0;
}

typedef void hash_visit(const char *f, size_t flen, const char *v, size_t vlen, void *arg);

static void hash_foreach(kv *e, hash_visit *fn, void *arg) {
    if (is_lp(e)) {
        listpack *lp = kv_ptr(e);
        char fb[LP_INTBUF], vb[LP_INTBUF];
        unsigned char *p = lp_first(lp);
        while (p) {
            unsigned char *vp = lp_next(lp, p);
            if (!vp) break;
            size_t fl, vl;
            const char *f = lp_get_str(p, &fl, fb);
            const char *v = lp_get_str(vp, &vl, vb);
            fn(f, fl, v, vl, arg);
            p = lp_next(lp, vp);
        }
        return;
    }
    dict_iter it;
    dict_iter_init(&((htable *)kv_ptr(e))->d, &it);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) {
        hfield *h = (hfield *)n;
        fn(h->data, h->flen, h->data + h->flen, h->vlen, arg);
    }
    dict_iter_done(&it);
}

/* ------------------------------------------------------------------------ */
/* Lookup helpers                                                            */
/* ------------------------------------------------------------------------ */

/* A hash key for writing: NULL with *err = 1 after replying WRONGTYPE, or
 * NULL with *err = 0 when absent. */
static kv *lookup_hash_write(client *c, const resp_arg *key, int *err) {
    return lookup_write_type(c, key, TYPE_HASH, err);
}

/* Adds an empty listpack hash under key; the caller writes a field into it
 * before the command returns (invariant 1). */
static kv *hash_create(client *c, const resp_arg *key) {
    kv *e = kv_new_ptr(key->ptr, key->len, TYPE_HASH, ENC_LISTPACK, lp_new());
    db_add(c->db, e);
    return e;
}

static void notify_write(client *c, const resp_arg *key, const char *event) {
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_HASH, event, c->db, key->ptr, key->len);
}

/* ------------------------------------------------------------------------ */
/* Writes                                                                    */
/* ------------------------------------------------------------------------ */

static void hset_generic(client *c, int hmset) {
    const resp_arg *key = &c->argv[1];
    if (c->argc % 2 == 1) {
        reply_error_arity(c);
        return;
    }
    if (check_sizes(c, 2, c->argc - 1) < 0) return;
    int err;
    kv *e = lookup_hash_write(c, key, &err);
    if (err) return;
    if (!e) e = hash_create(c, key);
    try_conversion(c, e, 2, c->argc - 1);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2) {
        const resp_arg *f = &c->argv[i], *v = &c->argv[i + 1];
        created += hash_set(e, f->ptr, f->len, v->ptr, v->len);
    }
    if (hmset)
        reply_ok(c);
    else
        reply_int(c, created);
    notify_write(c, key, "hset");
}

static void hset_command(client *c) {
    hset_generic(c, 0);
}

static void hmset_command(client *c) {
    hset_generic(c, 1);
}

static void hsetnx_command(client *c) {
    const resp_arg *key = &c->argv[1], *f = &c->argv[2], *v = &c->argv[3];
    if (check_sizes(c, 2, 3) < 0) return;
    int err;
    kv *e = lookup_hash_write(c, key, &err);
    if (err) return;
    char buf[LP_INTBUF];
    const char *old;
    size_t oldlen;
    if (e && hash_get_field(e, f->ptr, f->len, &old, &oldlen, buf)) {
        reply_int(c, 0);
        return;
    }
    if (!e) e = hash_create(c, key);
    try_conversion(c, e, 2, 3);
    hash_set(e, f->ptr, f->len, v->ptr, v->len);
    reply_int(c, 1);
    notify_write(c, key, "hset");
}

static void hdel_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_hash_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    long long deleted = 0;
    int key_removed = 0;
    for (int i = 2; i < c->argc; i++) {
        deleted += hash_del(e, c->argv[i].ptr, c->argv[i].len);
        if (hash_length(e) == 0) {
            db_delete(c->db, key->ptr, key->len);
            key_removed = 1;
            break;
        }
    }
    if (deleted) {
        notify_write(c, key, "hdel");
        if (key_removed) db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
    }
    reply_int(c, deleted);
}

static void hincrby_command(client *c) {
    const resp_arg *key = &c->argv[1], *f = &c->argv[2];
    long long incr, value = 0;
    if (arg_ll(c, &c->argv[3], &incr) < 0) return;
    if (check_sizes(c, 2, 2) < 0) return;
    int err;
    kv *e = lookup_hash_write(c, key, &err);
    if (err) return;
    if (e) {
        char buf[LP_INTBUF];
        const char *old;
        size_t oldlen;
        if (hash_get_field(e, f->ptr, f->len, &old, &oldlen, buf) &&
            !numconv_str2ll(old, oldlen, &value)) {
            reply_error(c, "ERR hash value is not an integer");
            return;
        }
    }
    if (__builtin_add_overflow(value, incr, &value)) {
        reply_error_overflow(c);
        return;
    }
    if (!e) e = hash_create(c, key);
    char nbuf[NUMCONV_LL_BUFSIZE];
    hash_set(e, f->ptr, f->len, nbuf, resp_ll2str(nbuf, value));
    reply_int(c, value);
    notify_write(c, key, "hincrby");
}

static void hincrbyfloat_command(client *c) {
    const resp_arg *key = &c->argv[1], *f = &c->argv[2];
    long double incr, value = 0;
    if (arg_ld(c, &c->argv[3], &incr) < 0) return;
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    if (check_sizes(c, 2, 2) < 0) return;
    int err;
    kv *e = lookup_hash_write(c, key, &err);
    if (err) return;
    if (e) {
        char buf[LP_INTBUF];
        const char *old;
        size_t oldlen;
        if (hash_get_field(e, f->ptr, f->len, &old, &oldlen, buf) &&
            (oldlen == 0 || oldlen >= NUMCONV_LD_BUFSIZE ||
             !numconv_str2ld(old, oldlen, &value))) {
            reply_error(c, "ERR hash value is not a float");
            return;
        }
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char nbuf[NUMCONV_LD_BUFSIZE];
    size_t nlen = numconv_ld2str(nbuf, sizeof nbuf, value);
    if (nlen == 0) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    if (!e) e = hash_create(c, key);
    hash_set(e, f->ptr, f->len, nbuf, nlen);
    reply_bulk(c, nbuf, nlen);
    notify_write(c, key, "hincrbyfloat");
    /* The result is logged, not the increment (as INCRBYFLOAT does). */
    effect ef;
    effect_start(&ef, "HSET");
    effect_add_arg(&ef, key);
    effect_add_arg(&ef, f);
    effect_add(&ef, nbuf, nlen);
    effect_log(&ef, c->dbid);
}

/* ------------------------------------------------------------------------ */
/* Reads                                                                     */
/* ------------------------------------------------------------------------ */

static void hget_command(client *c) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vlen;
    if (e && hash_get_field(e, c->argv[2].ptr, c->argv[2].len, &v, &vlen, buf))
        reply_bulk(c, v, vlen);
    else
        reply_null(c);
}

static void hmget_command(client *c) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        char buf[LP_INTBUF];
        const char *v;
        size_t vlen;
        if (e && hash_get_field(e, c->argv[i].ptr, c->argv[i].len, &v, &vlen, buf))
            reply_bulk(c, v, vlen);
        else
            reply_null(c);
    }
}

static void hlen_command(client *c) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    reply_int(c, e ? (long long)hash_length(e) : 0);
}

static void hstrlen_command(client *c) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vlen;
    if (e && hash_get_field(e, c->argv[2].ptr, c->argv[2].len, &v, &vlen, buf))
        reply_int(c, (long long)vlen);
    else
        reply_int(c, 0);
}

static void hexists_command(client *c) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    char buf[LP_INTBUF];
    const char *v;
    size_t vlen;
    reply_int(c, e && hash_get_field(e, c->argv[2].ptr, c->argv[2].len, &v, &vlen, buf));
}

enum { GETALL_KEYS = 1, GETALL_VALS = 2 };

struct getall_ctx {
    client *c;
    int what;
};

static void getall_visit(const char *f, size_t flen, const char *v, size_t vlen, void *arg) {
    struct getall_ctx *g = arg;
    if (g->what & GETALL_KEYS) reply_bulk(g->c, f, flen);
    if (g->what & GETALL_VALS) reply_bulk(g->c, v, vlen);
}

static void getall_generic(client *c, int what) {
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    long n = e ? (long)hash_length(e) : 0;
    if (what == (GETALL_KEYS | GETALL_VALS))
        reply_map(c, n);
    else
        reply_array(c, n);
    if (!e) return;
    struct getall_ctx g = {c, what};
    hash_foreach(e, getall_visit, &g);
}

static void hkeys_command(client *c) {
    getall_generic(c, GETALL_KEYS);
}

static void hvals_command(client *c) {
    getall_generic(c, GETALL_VALS);
}

static void hgetall_command(client *c) {
    getall_generic(c, GETALL_KEYS | GETALL_VALS);
}

/* ------------------------------------------------------------------------ */
/* HRANDFIELD                                                                */
/* ------------------------------------------------------------------------ */

/* Replies are random by definition; a per-process xorshift generator is
 * enough and costs nothing to seed. */
static uint64_t rng_state;

static uint64_t rng_next(void) {
    if (rng_state == 0)
        rng_state = ((uint64_t)time(NULL) << 21) ^ ((uint64_t)getpid() << 7) ^
                    0x9e3779b97f4a7c15ULL;
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ULL;
}

static uint64_t rng_below(uint64_t n) {
    return rng_next() % n;
}

struct rand_ctx {
    client *c;
    int withvalues;
};

static void rand_emit(const char *f, size_t flen, const char *v, size_t vlen, void *arg) {
    struct rand_ctx *r = arg;
    if (r->withvalues && r->c->resp > 2) reply_array(r->c, 2);
    reply_bulk(r->c, f, flen);
    if (r->withvalues) reply_bulk(r->c, v, vlen);
}

static void emit_node(struct rand_ctx *r, const dict_node *n) {
    const hfield *h = (const hfield *)n;
    rand_emit(h->data, h->flen, h->data + h->flen, h->vlen, r);
}

static void emit_lp(struct rand_ctx *r, listpack *lp, unsigned char *p) {
    char fb[LP_INTBUF], vb[LP_INTBUF];
    size_t fl, vl;
    const char *f = lp_get_str(p, &fl, fb);
    const char *v = lp_get_str(lp_next(lp, p), &vl, vb);
    rand_emit(f, fl, v, vl, r);
}

/* Positions of every field of a listpack hash, for O(1) random picks. */
static unsigned char **lp_field_index(listpack *lp, size_t n) {
    unsigned char **idx = mem_alloc((n ? n : 1) * sizeof *idx);
    size_t i = 0;
    for (unsigned char *p = lp_first(lp); p && i < n; i++) {
        idx[i] = p;
        unsigned char *vp = lp_next(lp, p);
        p = vp ? lp_next(lp, vp) : NULL;
    }
    return idx;
}

/* Distinct random nodes of a table, picked one by one, remembered in a
 * small open-addressing set of pointers: O(count), as Redis's case 4. */
static void rand_unique_sparse(struct rand_ctx *r, htable *t, unsigned long count) {
    size_t cap = 16;
    while (cap < count * 2) cap <<= 1;
    const dict_node **seen = mem_calloc(cap * sizeof *seen);
    unsigned long added = 0;
    while (added < count) {
        dict_node *n = dict_random(&t->d);
        size_t i = (size_t)(((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ULL) & (cap - 1);
        while (seen[i] && seen[i] != n) i = (i + 1) & (cap - 1);
        if (seen[i]) continue;
        seen[i] = n;
        emit_node(r, n);
        added++;
    }
    mem_free(seen);
}

static void hrandfield_count(client *c, kv *e, long long l, int withvalues) {
    unsigned long count;
    int uniq = 1;
    if (l >= 0) {
        count = (unsigned long)l;
    } else {
        count = (unsigned long)-l;
        uniq = 0;
    }
    if (count == 0) {
        reply_empty_array(c);
        return;
    }
    struct rand_ctx r = {c, withvalues};
    size_t size = hash_length(e);
    unsigned long shown = (!uniq || count < size) ? count : size;
    reply_array(c, withvalues && c->resp == 2 ? (long)shown * 2 : (long)shown);

    if (!uniq || count == 1) {
        /* With repetitions: independent picks. */
        if (is_lp(e)) {
            listpack *lp = kv_ptr(e);
            unsigned char **idx = lp_field_index(lp, size);
            for (unsigned long i = 0; i < count; i++) emit_lp(&r, lp, idx[rng_below(size)]);
            mem_free(idx);
        } else {
            htable *t = kv_ptr(e);
            for (unsigned long i = 0; i < count; i++) emit_node(&r, dict_random(&t->d));
        }
        return;
    }
    if (count >= size) {
        hash_foreach(e, rand_emit, &r);
        return;
    }
    if (is_lp(e)) {
        /* Selection sampling: each field is taken with probability
         * needed/remaining, which yields exactly count distinct fields. */
        listpack *lp = kv_ptr(e);
        unsigned long needed = count;
        size_t remaining = size;
        for (unsigned char *p = lp_first(lp); p && needed; remaining--) {
            unsigned char *vp = lp_next(lp, p);
            if (rng_below(remaining) < needed) {
                emit_lp(&r, lp, p);
                needed--;
            }
            p = vp ? lp_next(lp, vp) : NULL;
        }
        return;
    }
    htable *t = kv_ptr(e);
    if (count * 3 > size) {
        /* Most of the table: shuffle the front of an array of all nodes. */
        dict_node **all = mem_alloc(size * sizeof *all);
        size_t n = 0;
        dict_iter it;
        dict_iter_init(&t->d, &it);
        dict_node *node;
        while ((node = dict_iter_next(&it)) != NULL && n < size) all[n++] = node;
        dict_iter_done(&it);
        for (unsigned long i = 0; i < count && i < n; i++) {
            size_t j = i + (size_t)rng_below(n - i);
            dict_node *tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
            emit_node(&r, all[i]);
        }
        mem_free(all);
        return;
    }
    rand_unique_sparse(&r, t, count);
}

static void hrandfield_command(client *c) {
    long long l = 0;
    int withvalues = 0;
    if (c->argc >= 3) {
        if (arg_ll(c, &c->argv[2], &l) < 0) return;
        if (l == LLONG_MIN) {
            reply_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                           "and 9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withvalues"))) {
            reply_error_syntax(c);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                reply_error(c, "ERR value is out of range");
                return;
            }
        }
    }
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    if (c->argc >= 3) {
        if (!e)
            reply_empty_array(c);
        else
            hrandfield_count(c, e, l, withvalues);
        return;
    }
    if (!e) {
        reply_null(c);
        return;
    }
    char fb[LP_INTBUF];
    size_t fl;
    const char *f;
    if (is_lp(e)) {
        listpack *lp = kv_ptr(e);
        f = lp_get_str(lp_seek(lp, (long)rng_below(hash_length(e)) * 2), &fl, fb);
    } else {
        hfield *h = (hfield *)dict_random(&((htable *)kv_ptr(e))->d);
        f = h->data;
        fl = h->flen;
    }
    reply_bulk(c, f, fl);
}

/* ------------------------------------------------------------------------ */
/* HSCAN                                                                     */
/* ------------------------------------------------------------------------ */

struct scan_ctx {
    dict_node **nodes;
    size_t n, cap;
    dict_node *local[32];
};

static void scan_visit(dict_node *n, void *arg) {
    struct scan_ctx *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap * 2;
        dict_node **nodes = mem_alloc(cap * sizeof *nodes);
        memcpy(nodes, s->nodes, s->n * sizeof *nodes);
        if (s->nodes != s->local) mem_free(s->nodes);
        s->nodes = nodes;
        s->cap = cap;
    }
    s->nodes[s->n++] = n;
}

struct lpscan_ctx {
    client *c;
    const resp_arg *pat;
    long count;
};

static void lpscan_visit(const char *f, size_t flen, const char *v, size_t vlen, void *arg) {
    struct lpscan_ctx *s = arg;
    if (s->pat && !glob_match(s->pat->ptr, s->pat->len, f, flen, 0)) return;
    reply_bulk(s->c, f, flen);
    reply_bulk(s->c, v, vlen);
    s->count += 2;
}

static void hscan_command(client *c) {
    uint64_t cursor;
    if (scan_parse_cursor(c, &c->argv[2], &cursor) < 0) return;
    int wrongtype;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_HASH, &wrongtype);
    if (wrongtype) return;
    if (!e) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        return;
    }
    long long count = 10;
    const resp_arg *pat = NULL;
    if (scan_parse_options(c, 3, &count, &pat) < 0) return;

    if (is_lp(e)) {
        /* A compact hash is small: all of it in one reply, cursor 0. */
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        struct lpscan_ctx s = {c, pat, 0};
        hash_foreach(e, lpscan_visit, &s);
        reply_defer_array(c, d, s.count);
        return;
    }

    /* Buckets until COUNT fields were gathered (before filtering, as Redis
     * counts them) or ten times COUNT buckets were visited. */
    htable *t = kv_ptr(e);
    struct scan_ctx s = {.nodes = s.local, .n = 0, .cap = 32};
    long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(&t->d, cursor, scan_visit, &s);
    } while (cursor && budget-- && s.n < (unsigned long long)count);

    size_t kept = 0;
    for (size_t i = 0; i < s.n; i++) {
        hfield *h = (hfield *)s.nodes[i];
        if (pat && !glob_match(pat->ptr, pat->len, h->data, h->flen, 0)) continue;
        s.nodes[kept++] = s.nodes[i];
    }
    reply_array(c, 2);
    char buf[NUMCONV_LL_BUFSIZE];
    reply_bulk(c, buf, numconv_ull2str(buf, cursor));
    reply_array(c, (long)kept * 2);
    for (size_t i = 0; i < kept; i++) {
        hfield *h = (hfield *)s.nodes[i];
        reply_bulk(c, h->data, h->flen);
        reply_bulk(c, h->data + h->flen, h->vlen);
    }
    if (s.nodes != s.local) mem_free(s.nodes);
}

/* ------------------------------------------------------------------------ */
/* Value operations (DEL, COPY, MEMORY USAGE) and the DUMP codec             */
/* ------------------------------------------------------------------------ */

static void hash_value_free(void *p, int enc) {
    if (enc == ENC_HASHTABLE)
        htable_free(p);
    else
        lp_free(p);
}

static void *hash_value_dup(const void *p, int enc) {
    if (enc != ENC_HASHTABLE) return lp_dup(p);
    htable *src = (htable *)p, *t = htable_new();
    dict_iter it;
    dict_iter_init(&src->d, &it);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) {
        hfield *h = (hfield *)n;
        htable_add(t, h->data, h->flen, h->data + h->flen, h->vlen, dict_hash(h->data, h->flen));
    }
    dict_iter_done(&it);
    return t;
}

static size_t hash_value_mem(const void *p, int enc) {
    if (enc != ENC_HASHTABLE) return lp_bytes(p);
    const htable *t = p;
    return sizeof *t + dict_overhead_bytes(&t->d) + t->bytes;
}

static const kv_type_ops hash_type_ops = {
    .name = "hash",
    .free = hash_value_free,
    .dup = hash_value_dup,
    .mem_usage = hash_value_mem,
};

/* Body: varint count, then count pairs of blobs. One form for both
 * encodings; RESTORE picks the encoding from the current thresholds. */
#define HASH_HINT_PAIRS 0

struct dump_ctx {
    dstr **out;
};

static void dump_visit(const char *f, size_t flen, const char *v, size_t vlen, void *arg) {
    struct dump_ctx *d = arg;
    dump_put_blob(d->out, f, flen);
    dump_put_blob(d->out, v, vlen);
}

static uint8_t hash_dump_encode(const kv *e, dstr **out) {
    dump_put_varint(out, hash_length(e));
    struct dump_ctx d = {out};
    hash_foreach((kv *)e, dump_visit, &d);
    return HASH_HINT_PAIRS;
}

static kv *hash_dump_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    uint64_t n;
    if (hint != HASH_HINT_PAIRS || dump_get_varint(r, &n) < 0) return NULL;
    /* Each pair needs at least two length bytes: bounds n before any work. */
    if (n == 0 || n > dump_remaining(r) / 2) return NULL;
    /* The table catches duplicate fields in O(1) each. A hash small enough
     * is then packed from a second pass over the body, so a RESTOREd
     * listpack keeps the field order DUMP wrote. */
    dump_reader body = *r;
    htable *t = htable_new();
    int fits = !too_many(n);
    for (uint64_t i = 0; i < n; i++) {
        const char *f, *v;
        size_t flen, vlen;
        if (dump_get_blob(r, &f, &flen) < 0 || dump_get_blob(r, &v, &vlen) < 0 ||
            flen > UINT32_MAX || vlen > UINT32_MAX) {
            htable_free(t);
            return NULL;
        }
        uint64_t h = dict_hash(f, flen);
        if (dict_find(&t->d, f, flen, h)) {
            htable_free(t);
            return NULL;
        }
        if (too_long(flen) || too_long(vlen)) fits = 0;
        htable_add(t, f, flen, v, vlen, h);
    }
    if (!fits || t->bytes > LP_SAFETY_SIZE)
        return kv_new_ptr(key, klen, TYPE_HASH, ENC_HASHTABLE, t);
    htable_free(t);
    listpack *lp = lp_new();
    for (uint64_t i = 0; i < 2 * n; i++) {
        const char *s;
        size_t len;
        dump_get_blob(&body, &s, &len); /* validated by the first pass */
        lp = lp_append(lp, s, len);
    }
    return kv_new_ptr(key, klen, TYPE_HASH, ENC_LISTPACK, lp);
}

static const dump_type_ops hash_dump_ops = {
    .encode = hash_dump_encode,
    .decode = hash_dump_decode,
};

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define W_FAST (CMD_WRITE | CMD_DENYOOM | CMD_FAST)
#define R_FAST (CMD_READONLY | CMD_FAST)
#define ACL_W_FAST (ACL_WRITE | ACL_HASH | ACL_FAST)
#define ACL_R_FAST (ACL_READ | ACL_HASH | ACL_FAST)
#define ACL_R_SLOW (ACL_READ | ACL_HASH | ACL_SLOW)

#define HASH_CMD(name_, proc_, arity_, flags_, acl_, since_, cx_, sum_)                            \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = 1, .last_key = 1, .key_step = 1, .summary = sum_, .since = since_,            \
        .group = "hash", .complexity = cx_                                                         \
    }

static const char cx_o1[] = "O(1)";
static const char cx_size[] = "O(N) in the size of the hash.";
static const char cx_fields[] = "O(N) in the fields asked for.";
static const char cx_set[] = "O(1) per field/value pair, O(N) for N pairs.";

static command hash_commands[] = {
    HASH_CMD("hset", hset_command, -4, W_FAST, ACL_W_FAST, "2.0.0", cx_set,
             "Stores fields of a hash, creating the hash when absent."),
    HASH_CMD("hsetnx", hsetnx_command, 4, W_FAST, ACL_W_FAST, "2.0.0", cx_o1,
             "Stores a hash field unless the field is already there."),
    HASH_CMD("hget", hget_command, 3, R_FAST, ACL_R_FAST, "2.0.0", cx_o1,
             "Reads one field of a hash."),
    HASH_CMD("hmget", hmget_command, -3, R_FAST, ACL_R_FAST, "2.0.0", cx_fields,
             "Reads several fields of a hash."),
    HASH_CMD("hmset", hmset_command, -4, W_FAST, ACL_W_FAST, "2.0.0", "O(N) in the fields written.",
             "Stores several fields of a hash (an older form of HSET)."),
    HASH_CMD("hdel", hdel_command, -3, CMD_WRITE | CMD_FAST, ACL_W_FAST, "2.0.0",
             "O(N) in the fields removed.",
             "Removes fields from a hash, and the hash itself once it is empty."),
    HASH_CMD("hlen", hlen_command, 2, R_FAST, ACL_R_FAST, "2.0.0", cx_o1,
             "Counts the fields of a hash."),
    HASH_CMD("hstrlen", hstrlen_command, 3, R_FAST, ACL_R_FAST, "3.2.0", cx_o1,
             "Gives the byte length of a hash field's value."),
    HASH_CMD("hexists", hexists_command, 3, R_FAST, ACL_R_FAST, "2.0.0", cx_o1,
             "Tells whether a hash holds a field."),
    HASH_CMD("hkeys", hkeys_command, 2, CMD_READONLY, ACL_R_SLOW, "2.0.0", cx_size,
             "Lists the field names of a hash."),
    HASH_CMD("hvals", hvals_command, 2, CMD_READONLY, ACL_R_SLOW, "2.0.0", cx_size,
             "Lists the values of a hash."),
    HASH_CMD("hgetall", hgetall_command, 2, CMD_READONLY, ACL_R_SLOW, "2.0.0", cx_size,
             "Lists every field of a hash with its value."),
    HASH_CMD("hincrby", hincrby_command, 4, W_FAST, ACL_W_FAST, "2.0.0", cx_o1,
             "Adds an integer to a hash field, counting from 0 when the field is absent."),
    HASH_CMD("hincrbyfloat", hincrbyfloat_command, 4, W_FAST, ACL_W_FAST, "2.6.0", cx_o1,
             "Adds a decimal number to a hash field, counting from 0 when the field is absent."),
    HASH_CMD("hrandfield", hrandfield_command, -2, CMD_READONLY, ACL_R_SLOW, "6.2.0",
             "O(N) in the fields returned", "Picks fields of a hash at random."),
    HASH_CMD("hscan", hscan_command, -3, CMD_READONLY, ACL_R_SLOW, "2.8.0",
             "O(1) per call; O(N) over a whole walk back to cursor 0, N being the size of the "
             "collection.",
             "Walks the fields of a hash with a cursor."),
    {.name = NULL},
};

void hash_register(void) {
    kv_register_type(TYPE_HASH, &hash_type_ops);
    dump_register_type(TYPE_HASH, &hash_dump_ops);
    command_register(hash_commands);
}
