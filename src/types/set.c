/*
 * set.c - the set type: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
 * SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
 * SDIFFSTORE SSCAN, the kv type operations and the DUMP codec of sets.
 *
 * Two encodings, as in Redis 7.0 (which has no listpack sets yet):
 *   ENC_INTSET     a sorted array of integers (ds/intset.h), used while
 *                  every member is a canonical integer and there are at most
 *                  set-max-intset-entries of them;
 *   ENC_HASHTABLE  a dict of smember nodes, each one allocation holding
 *                  the dict link, the length and the member bytes.
 *
 * Invariants:
 *  1. A key never holds an empty set: the command that removes the last
 *     member deletes the key (and raises "del").
 *  2. Sets only convert intset -> hashtable (on a non-integer member or
 *     past the entry limit). A set is built intset-first only when it is
 *     created anew: by SADD/SMOVE on a missing key, by the *STORE commands,
 *     by SPOP's keep-the-rest path and by RESTORE, all as Redis 7.0 does.
 *  3. Inside this file a set value is handled as a setv (encoding and
 *     pointer); a kv's copy is written back with sv_store() after any
 *     change, since intset operations may move the array.
 *
 * Called by: the dispatcher (through the table set_register installs),
 * SORT (set.h), DUMP/RESTORE and COPY/DEL/MEMORY through the registered
 * operations.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/dict.h"
#include "ds/dstr.h"
#include "ds/glob.h"
#include "ds/intset.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "proto/resp.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/handler.h"
#include "types/dump.h"
#include "types/scan.h"
#include "types/set.h"
#include "types/types.h"

#define INT_BUF 32

/* ------------------------------------------------------------------------ */
/* Representation                                                            */
/* ------------------------------------------------------------------------ */

typedef struct smember {
    dict_node node;
    uint32_t len;
    char data[];
} smember;

static const char *smember_key(const dict_node *n, size_t *len) {
    const smember *m = (const smember *)n;
    *len = m->len;
    return m->data;
}

static const dict_ops smember_ops = {.key = smember_key, .nocase = 0};

typedef struct setv {
    int enc;   /* ENC_INTSET or ENC_HASHTABLE */
    void *ptr; /* intset * or dict * */
} setv;

/* One member as iteration yields it: an intset integer or hashtable bytes. */
typedef struct selem {
    int is_int;
    int64_t v;
    const char *p;
    size_t len;
} selem;

/* The encoding lives in the kv (e->enc) and tells what the pointer is. */
static setv sv_make(const void *ptr, int enc) {
    setv s;
    s.enc = enc;
    s.ptr = (void *)(uintptr_t)ptr;
    return s;
}

static setv sv_of(const kv *e) {
    return sv_make(kv_ptr(e), e->enc);
}

static void sv_store(kv *e, const setv *s) {
    kv_set_ptr(e, s->ptr);
    kv_set_encoding(e, s->enc);
}

static smember *smember_new(const char *p, size_t len) {
    smember *m = mem_alloc(sizeof *m + len);
    m->node.next = NULL;
    m->len = (uint32_t)len;
    memcpy(m->data, p, len);
    return m;
}

static void smember_free(dict_node *n, void *arg) {
    (void)arg;
    mem_free(n);
}

static dict *ht_new(void) {
    dict *d = mem_alloc(sizeof *d);
    dict_init(d, &smember_ops);
    return d;
}

/* Bytes of an element; integers are formatted into buf (>= INT_BUF). */
static const char *selem_bytes(const selem *el, char *buf, size_t *len) {
    if (!el->is_int) {
        *len = el->len;
        return el->p;
    }
    *len = resp_ll2str(buf, el->v);
    return buf;
}

static void reply_elem(client *c, const selem *el) {
    if (el->is_int)
        reply_bulk_ll(c, el->v);
    else
        reply_bulk(c, el->p, el->len);
}

static int64_t is_at(const intset *is, size_t i) {
    int64_t v = 0;
    intset_get(is, (uint32_t)i, &v);
    return v;
}

/* Redis stores a member in an intset only when its text is exactly what
 * formatting the integer would give back. */
static int member_int(const char *p, size_t len, long long *v) {
    return len <= 20 && numconv_is_canonical_int(p, len, v);
}

/* ------------------------------------------------------------------------ */
/* Generic operations over both encodings                                    */
/* ------------------------------------------------------------------------ */

static size_t sv_size(const setv *s) {
    if (s->enc == ENC_INTSET) return intset_len(s->ptr);
    return dict_size(s->ptr);
}

/* Empty set in the encoding Redis picks for a set whose first member is
 * p[0..len). */
static setv sv_new_for(const char *p, size_t len) {
    long long v;
    setv s;
    if (member_int(p, len, &v)) {
        s.enc = ENC_INTSET;
        s.ptr = intset_new();
    } else {
        s.enc = ENC_HASHTABLE;
        s.ptr = ht_new();
    }
    return s;
}

static setv sv_new_intset(void) {
    setv s = {.enc = ENC_INTSET, .ptr = intset_new()};
    return s;
}

static void ht_insert(dict *d, const char *p, size_t len, uint64_t h) {
    smember *m = smember_new(p, len);
    dict_insert(d, &m->node, h);
}

static void sv_to_hashtable(setv *s) {
    intset *is = s->ptr;
    dict *d = ht_new();
    size_t n = intset_len(is);
    char buf[INT_BUF];
    for (size_t i = 0; i < n; i++) {
        size_t len = resp_ll2str(buf, is_at(is, i));
        ht_insert(d, buf, len, dict_hash_for(d, buf, len));
    }
    intset_free(is);
    s->enc = ENC_HASHTABLE;
    s->ptr = d;
}

static int ht_add(dict *d, const char *p, size_t len) {
    uint64_t h = dict_hash_for(d, p, len);
    if (dict_find(d, p, len, h)) return 0;
    ht_insert(d, p, len, h);
    return 1;
}

static int sv_add_int(setv *s, int64_t v) {
    if (s->enc == ENC_INTSET) {
        int added = 0;
        s->ptr = intset_add(s->ptr, v, &added);
        if (added && (long long)intset_len(s->ptr) > cfg->set_max_intset_entries)
            sv_to_hashtable(s);
        return added;
    }
    char buf[INT_BUF];
    size_t len = resp_ll2str(buf, v);
    return ht_add(s->ptr, buf, len);
}

/* Adds a member; 1 if it was not there. Converts the encoding as needed. */
static int sv_add(setv *s, const char *p, size_t len) {
    if (s->enc == ENC_INTSET) {
        long long v;
        if (member_int(p, len, &v)) return sv_add_int(s, v);
        sv_to_hashtable(s);
    }
    return ht_add(s->ptr, p, len);
}

static int sv_add_elem(setv *s, const selem *el) {
    if (el->is_int) return sv_add_int(s, el->v);
    return sv_add(s, el->p, el->len);
}

static int sv_remove(setv *s, const char *p, size_t len) {
    if (s->enc == ENC_INTSET) {
        long long v;
        int removed = 0;
        if (!member_int(p, len, &v)) return 0;
        s->ptr = intset_remove(s->ptr, v, &removed);
        return removed;
    }
    dict *d = s->ptr;
    dict_node *n = dict_remove(d, p, len, dict_hash_for(d, p, len));
    if (!n) return 0;
    mem_free(n);
    return 1;
}

static int sv_remove_elem(setv *s, const selem *el) {
    char buf[INT_BUF];
    size_t len;
    if (el->is_int && s->enc == ENC_INTSET) {
        int removed = 0;
        s->ptr = intset_remove(s->ptr, el->v, &removed);
        return removed;
    }
    const char *p = selem_bytes(el, buf, &len);
    return sv_remove(s, p, len);
}

static int sv_contains(const setv *s, const char *p, size_t len) {
    if (s->enc == ENC_INTSET) {
        long long v;
        return member_int(p, len, &v) && intset_find(s->ptr, v);
    }
    dict *d = s->ptr;
    return dict_find(d, p, len, dict_hash_for(d, p, len)) != NULL;
}

static int sv_contains_elem(const setv *s, const selem *el) {
    if (el->is_int && s->enc == ENC_INTSET) return intset_find(s->ptr, el->v);
    char buf[INT_BUF];
    size_t len;
    const char *p = selem_bytes(el, buf, &len);
    return sv_contains(s, p, len);
}

/* A random member (the set is not empty). For a hashtable the element
 * points into the set: valid until the set changes. */
static void sv_random(const setv *s, selem *el) {
    if (s->enc == ENC_INTSET) {
        el->is_int = 1;
        el->v = intset_random(s->ptr);
        el->p = NULL;
        el->len = 0;
        return;
    }
    smember *m = (smember *)dict_random(s->ptr);
    el->is_int = 0;
    el->v = 0;
    el->p = m->data;
    el->len = m->len;
}

static void sv_free(setv *s) {
    if (!s->ptr) return;
    if (s->enc == ENC_INTSET) {
        intset_free(s->ptr);
    } else {
        dict_clear(s->ptr, smember_free, NULL);
        mem_free(s->ptr);
    }
    s->ptr = NULL;
}

/* Iteration: the intset by position, the hashtable with a safe iterator
 * (the current member may be removed). Call siter_done at the end. */
typedef struct siter {
    setv s;
    size_t pos;
    dict_iter di;
} siter;

static void siter_init(siter *it, const setv *s) {
    it->s = *s;
    it->pos = 0;
    if (s->enc == ENC_HASHTABLE) dict_iter_init(s->ptr, &it->di);
}

static int siter_next(siter *it, selem *el) {
    if (it->s.enc == ENC_INTSET) {
        if (it->pos >= intset_len(it->s.ptr)) return 0;
        el->is_int = 1;
        el->v = is_at(it->s.ptr, it->pos++);
        el->p = NULL;
        el->len = 0;
        return 1;
    }
    smember *m = (smember *)dict_iter_next(&it->di);
    if (!m) return 0;
    el->is_int = 0;
    el->v = 0;
    el->p = m->data;
    el->len = m->len;
    return 1;
}

static void siter_done(siter *it) {
    if (it->s.enc == ENC_HASHTABLE) dict_iter_done(&it->di);
}

/* ------------------------------------------------------------------------ */
/* kv type operations, exported readers, DUMP codec                          */
/* ------------------------------------------------------------------------ */


size_t set_size(const kv *e) {
    setv s = sv_of(e);
    return sv_size(&s);
}

void set_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg) {
    setv s = sv_of(e);
    siter it;
    selem el;
    char buf[INT_BUF];
    siter_init(&it, &s);
    while (siter_next(&it, &el)) {
        size_t len;
        const char *p = selem_bytes(&el, buf, &len);
        fn(p, len, arg);
    }
    siter_done(&it);
}

static void set_free_value(void *ptr, int enc) {
    setv s = sv_make(ptr, enc);
    sv_free(&s);
}

static void *set_dup_value(const void *ptr, int enc) {
    setv s = sv_make(ptr, enc), n;
    if (s.enc == ENC_INTSET) {
        n.enc = ENC_INTSET;
        n.ptr = intset_dup(s.ptr);
    } else {
        n.enc = ENC_HASHTABLE;
        n.ptr = ht_new();
        siter it;
        selem el;
        siter_init(&it, &s);
        while (siter_next(&it, &el)) ht_add(n.ptr, el.p, el.len);
        siter_done(&it);
    }
    return n.ptr;
}

/* Like Redis's MEMORY USAGE, members of a big set are sampled rather than
 * all visited, so eviction and MEMORY stay cheap on huge sets. */
#define MEM_SAMPLES 16

static size_t set_mem_usage(const void *ptr, int enc) {
    setv s = sv_make(ptr, enc);
    if (s.enc == ENC_INTSET) return mem_usable(s.ptr);
    dict *d = s.ptr;
    size_t n = mem_usable(d) + dict_overhead_bytes(d), seen = 0, bytes = 0;
    dict_iter it;
    dict_node *node;
    dict_iter_init(d, &it);
    while (seen < MEM_SAMPLES && (node = dict_iter_next(&it)) != NULL) {
        bytes += mem_usable(node);
        seen++;
    }
    dict_iter_done(&it);
    if (seen) n += bytes * dict_size(d) / seen;
    return n;
}

static const kv_type_ops set_type_ops = {
    .name = "set",
    .free = set_free_value,
    .dup = set_dup_value,
    .mem_usage = set_mem_usage,
};

/* DUMP body: hint 0 = intset, its blob (ds/intset.h) as one byte string;
 * hint 1 = hashtable, a count then length-prefixed members. RESTORE
 * rebuilds the set with the current thresholds, as loading an RDB does,
 * and refuses empty sets and repeated members. */
enum { SET_DUMP_INTSET = 0, SET_DUMP_HT = 1 };

static uint8_t set_dump_encode(const kv *e, dstr **out) {
    setv s = sv_of(e);
    if (s.enc == ENC_INTSET) {
        dump_put_blob(out, (const char *)intset_blob(s.ptr), intset_blob_len(s.ptr));
        return SET_DUMP_INTSET;
    }
    siter it;
    selem el;
    dump_put_varint(out, sv_size(&s));
    siter_init(&it, &s);
    while (siter_next(&it, &el)) dump_put_blob(out, el.p, el.len);
    siter_done(&it);
    return SET_DUMP_HT;
}

static kv *set_dump_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    setv s = {.enc = 0, .ptr = NULL};
    if (hint == SET_DUMP_INTSET) {
        const char *p;
        size_t len;
        if (dump_get_blob(r, &p, &len) < 0) return NULL;
        s.ptr = intset_from_blob((const unsigned char *)p, len);
        if (!s.ptr) return NULL;
        s.enc = ENC_INTSET;
        if (intset_len(s.ptr) == 0) goto bad;
        if ((long long)intset_len(s.ptr) > cfg->set_max_intset_entries) sv_to_hashtable(&s);
        return kv_new_ptr(key, klen, TYPE_SET, s.enc, s.ptr);
    }
    uint64_t count;
    if (hint != SET_DUMP_HT) return NULL;
    if (dump_get_varint(r, &count) < 0 || count == 0 || count > dump_remaining(r)) return NULL;
    for (uint64_t i = 0; i < count; i++) {
        const char *p;
        size_t len;
        if (dump_get_blob(r, &p, &len) < 0 || len > UINT32_MAX) goto bad;
        if (!s.ptr) s = sv_new_for(p, len);
        if (!sv_add(&s, p, len)) goto bad;
    }
    return kv_new_ptr(key, klen, TYPE_SET, s.enc, s.ptr);
bad:
    sv_free(&s);
    return NULL;
}

static const dump_type_ops set_dump_ops = {
    .encode = set_dump_encode,
    .decode = set_dump_decode,
};

/* ------------------------------------------------------------------------ */
/* Keyspace helpers                                                          */
/* ------------------------------------------------------------------------ */

/* Looks up a key that must be a set for writing: NULL with *err = 1 and the
 * error replied on WRONGTYPE, NULL with *err = 0 when absent. */
static kv *lookup_set_write(client *c, const resp_arg *key, int *err) {
    return lookup_write_type(c, key, TYPE_SET, err);
}

/* After members were removed from e (still in the database): deletes the
 * key when empty, raising "del" after the command's own event. */
static void delete_if_empty(client *c, kv *e, const char *key, size_t klen) {
    setv s = sv_of(e);
    if (sv_size(&s) > 0) return;
    db_delete(c->db, key, klen);
    db_notify(NOTIFY_GENERIC, "del", c->db, key, klen);
}

/* Stores a result set under dst (replacing any value and TTL) or, when
 * empty, deletes dst. Replies the cardinality. event: "sinterstore"... */
static void store_result(client *c, const resp_arg *dst, setv *s, const char *event) {
    size_t n = s->ptr ? sv_size(s) : 0;
    if (n > 0) {
        kv *e = kv_new_ptr(dst->ptr, dst->len, TYPE_SET, s->enc, s->ptr);
        db_set(c->db, e, 0);
        reply_int(c, (long long)n);
        key_modified(c, dst->ptr, dst->len);
        db_notify(NOTIFY_SET, event, c->db, dst->ptr, dst->len);
    } else {
        sv_free(s);
        reply_int(c, 0);
        if (db_delete(c->db, dst->ptr, dst->len)) {
            key_modified(c, dst->ptr, dst->len);
            db_notify(NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Single-key commands                                                       */
/* ------------------------------------------------------------------------ */

/* Members are at most 4 GiB (smember's length field); only reachable when
 * proto-max-bulk-len was raised past that. */
static int check_member_lengths(client *c, int first) {
    for (int j = first; j < c->argc; j++) {
        if (c->argv[j].len > UINT32_MAX) {
            reply_error(c, "ERR set member exceeds maximum allowed size");
            return -1;
        }
    }
    return 0;
}

static void sadd_command(client *c) {
    int err;
    const resp_arg *key = &c->argv[1];
    if (check_member_lengths(c, 2) < 0) return;
    kv *e = lookup_set_write(c, key, &err);
    if (err) return;
    setv s;
    if (e) {
        s = sv_of(e);
    } else {
        s = sv_new_for(c->argv[2].ptr, c->argv[2].len);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++) added += sv_add(&s, c->argv[j].ptr, c->argv[j].len);
    if (e) {
        sv_store(e, &s);
    } else {
        e = kv_new_ptr(key->ptr, key->len, TYPE_SET, s.enc, s.ptr);
        db_add(c->db, e);
    }
    if (added) {
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_SET, "sadd", c->db, key->ptr, key->len);
    }
    reply_int(c, added);
}

static void srem_command(client *c) {
    int err;
    const resp_arg *key = &c->argv[1];
    kv *e = lookup_set_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    setv s = sv_of(e);
    long long removed = 0;
    for (int j = 2; j < c->argc && sv_size(&s) > 0; j++)
        removed += sv_remove(&s, c->argv[j].ptr, c->argv[j].len);
    sv_store(e, &s);
    if (removed) {
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_SET, "srem", c->db, key->ptr, key->len);
        delete_if_empty(c, e, key->ptr, key->len);
    }
    reply_int(c, removed);
}

static void sismember_command(client *c) {
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    setv s = sv_of(e);
    reply_int(c, sv_contains(&s, c->argv[2].ptr, c->argv[2].len));
}

static void smismember_command(client *c) {
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    setv s = {.enc = 0, .ptr = NULL};
    if (e) s = sv_of(e);
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        reply_int(c, e ? sv_contains(&s, c->argv[j].ptr, c->argv[j].len) : 0);
}

static void scard_command(client *c) {
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    reply_int(c, e ? (long long)set_size(e) : 0);
}

static void smove_command(client *c) {
    const resp_arg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    if (check_member_lengths(c, 3) < 0) return;
    /* Redis answers 0 for a missing source before checking either type. */
    kv *se = lookup_write(c, src);
    kv *de = lookup_write(c, dst);
    if (!se) {
        reply_int(c, 0);
        return;
    }
    if (se->type != TYPE_SET || (de && de->type != TYPE_SET)) {
        reply_error_wrongtype(c);
        return;
    }
    setv ss = sv_of(se);
    if (se == de) {
        reply_int(c, sv_contains(&ss, m->ptr, m->len));
        return;
    }
    int removed = sv_remove(&ss, m->ptr, m->len);
    sv_store(se, &ss);
    if (!removed) {
        reply_int(c, 0);
        return;
    }
    db_notify(NOTIFY_SET, "srem", c->db, src->ptr, src->len);
    /* Deleting src may move entries; look dst up again afterwards. */
    delete_if_empty(c, se, src->ptr, src->len);
    de = db_lookup(c->db, dst->ptr, dst->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
    int added;
    if (de) {
        setv ds = sv_of(de);
        added = sv_add(&ds, m->ptr, m->len);
        sv_store(de, &ds);
    } else {
        setv ds = sv_new_for(m->ptr, m->len);
        added = sv_add(&ds, m->ptr, m->len);
        db_add(c->db, kv_new_ptr(dst->ptr, dst->len, TYPE_SET, ds.enc, ds.ptr));
    }
    key_modified(c, src->ptr, src->len);
    if (added) {
        key_modified(c, dst->ptr, dst->len);
        db_notify(NOTIFY_SET, "sadd", c->db, dst->ptr, dst->len);
    }
    reply_int(c, 1);
}

/* SPOP key [count]. Picks the strategy Redis 7.0 picks: everything when
 * count covers the set; count single pops when few are taken; otherwise
 * the few that remain are moved into a new set (built intset-first, so a
 * hashtable of integers may come back as an intset) and the old set,
 * holding exactly the popped members, is replied and freed. */
#define SPOP_MOVE_STRATEGY_MUL 5

static void spop_with_count(client *c) {
    const resp_arg *key = &c->argv[1];
    long long count;
    if (!numconv_str2ll(c->argv[2].ptr, c->argv[2].len, &count) || count < 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return;
    }
    int err;
    kv *e = lookup_set_write(c, key, &err);
    if (err) return;
    if (!e || count == 0) {
        reply_set(c, 0);
        return;
    }
    setv s = sv_of(e);
    size_t size = sv_size(&s);
    db_notify(NOTIFY_SET, "spop", c->db, key->ptr, key->len);
    if ((unsigned long long)count >= size) {
        siter it;
        selem el;
        reply_set(c, (long)size);
        siter_init(&it, &s);
        while (siter_next(&it, &el)) reply_elem(c, &el);
        siter_done(&it);
        db_delete(c->db, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
        key_modified(c, key->ptr, key->len);
        effect_log_del(c->dbid, key);
        return;
    }
    /* The members taken are random: they are logged as SREMs. */
    effect_batch removed;
    effect_batch_start(&removed, c->dbid, "SREM", key);
    size_t remaining = size - (size_t)count;
    reply_set(c, (long)count);
    if (remaining * SPOP_MOVE_STRATEGY_MUL > (size_t)count) {
        for (long long i = 0; i < count; i++) {
            selem el;
            sv_random(&s, &el);
            if (el.is_int) {
                int gone;
                reply_bulk_ll(c, el.v);
                effect_batch_add_ll(&removed, el.v);
                s.ptr = intset_remove(s.ptr, el.v, &gone);
            } else {
                /* Reply and log before removing: el points into the member. */
                reply_bulk(c, el.p, el.len);
                effect_batch_add(&removed, el.p, el.len);
                sv_remove(&s, el.p, el.len);
            }
        }
        sv_store(e, &s);
    } else {
        setv keep = {.enc = 0, .ptr = NULL};
        char buf[INT_BUF];
        while (remaining--) {
            selem el;
            size_t len;
            sv_random(&s, &el);
            const char *p = selem_bytes(&el, buf, &len);
            if (!keep.ptr) keep = sv_new_for(p, len);
            sv_add(&keep, p, len);
            sv_remove(&s, p, len);
        }
        siter it;
        selem el;
        siter_init(&it, &s);
        while (siter_next(&it, &el)) {
            char buf[INT_BUF];
            size_t len;
            const char *p = selem_bytes(&el, buf, &len);
            reply_elem(c, &el);
            effect_batch_add(&removed, p, len);
        }
        siter_done(&it);
        sv_free(&s);
        sv_store(e, &keep);
    }
    effect_batch_finish(&removed);
    key_modified(c, key->ptr, key->len);
}

static void spop_command(client *c) {
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_set_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_null(c);
        return;
    }
    setv s = sv_of(e);
    selem el;
    sv_random(&s, &el);
    reply_elem(c, &el);
    /* Logged before the removal frees the member el points into. SREM of
     * the last member deletes the key on replay too. */
    char buf[INT_BUF];
    size_t len;
    const char *p = selem_bytes(&el, buf, &len);
    effect ef;
    effect_start(&ef, "SREM");
    effect_add_arg(&ef, key);
    effect_add(&ef, p, len);
    effect_log(&ef, c->dbid);
    sv_remove_elem(&s, &el);
    sv_store(e, &s);
    db_notify(NOTIFY_SET, "spop", c->db, key->ptr, key->len);
    delete_if_empty(c, e, key->ptr, key->len);
    key_modified(c, key->ptr, key->len);
}

/* A small open-addressing set of 64-bit ids (member addresses or intset
 * values), for picking distinct random members. */
typedef struct idset {
    uint64_t *slot;
    unsigned char *used;
    size_t mask;
} idset;

static void idset_init(idset *s, size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    s->slot = mem_alloc(cap * sizeof *s->slot);
    s->used = mem_calloc(cap);
    s->mask = cap - 1;
}

/* 1 if id was added, 0 if it was there. */
static int idset_add(idset *s, uint64_t id) {
    size_t i = (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 17) & s->mask;
    while (s->used[i]) {
        if (s->slot[i] == id) return 0;
        i = (i + 1) & s->mask;
    }
    s->used[i] = 1;
    s->slot[i] = id;
    return 1;
}

static void idset_free(idset *s) {
    mem_free(s->slot);
    mem_free(s->used);
}

static uint64_t selem_id(const selem *el) {
    return el->is_int ? (uint64_t)el->v : (uint64_t)(uintptr_t)el->p;
}

static void srandmember_with_count(client *c) {
    long long l;
    if (arg_ll(c, &c->argv[2], &l) < 0) return;
    if (l == LLONG_MIN) {
        reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and "
                       "9223372036854775807");
        return;
    }
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    int uniq = l >= 0;
    unsigned long long count = uniq ? (unsigned long long)l : (unsigned long long)-l;
    if (!e || count == 0) {
        reply_empty_array(c);
        return;
    }
    setv s = sv_of(e);
    size_t size = sv_size(&s);
    selem el;
    if (!uniq || count == 1) {
        /* A huge negative count is bounded only by the output limits: stop
         * once the client is doomed rather than building the whole reply. */
        reply_array(c, (long)count);
        while (count-- && !(c->flags & CLIENT_CLOSE_ASAP)) {
            sv_random(&s, &el);
            reply_elem(c, &el);
        }
        return;
    }
    if (count >= size) {
        siter it;
        reply_array(c, (long)size);
        siter_init(&it, &s);
        while (siter_next(&it, &el)) reply_elem(c, &el);
        siter_done(&it);
        return;
    }
    reply_array(c, (long)count);
    if (count * 3 > size) {
        /* Most of the set: a partial shuffle of all members. */
        selem *all = mem_alloc(size * sizeof *all);
        siter it;
        size_t n = 0;
        siter_init(&it, &s);
        while (n < size && siter_next(&it, &all[n])) n++;
        siter_done(&it);
        for (size_t i = 0; i < count && i < n; i++) {
            size_t j = i + (size_t)((unsigned long long)random() % (n - i));
            selem t = all[i];
            all[i] = all[j];
            all[j] = t;
            reply_elem(c, &all[i]);
        }
        mem_free(all);
        return;
    }
    idset seen;
    idset_init(&seen, (size_t)count);
    unsigned long long got = 0;
    while (got < count) {
        sv_random(&s, &el);
        if (!idset_add(&seen, selem_id(&el))) continue;
        reply_elem(c, &el);
        got++;
    }
    idset_free(&seen);
}

static void srandmember_command(client *c) {
    if (c->argc == 3) {
        srandmember_with_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    if (!e) {
        reply_null(c);
        return;
    }
    setv s = sv_of(e);
    selem el;
    sv_random(&s, &el);
    reply_elem(c, &el);
}

struct sscan_ctx {
    smember **m;
    size_t n, cap;
};

static void sscan_visit(dict_node *n, void *arg) {
    struct sscan_ctx *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->m = mem_realloc(s->m, s->cap * sizeof *s->m);
    }
    s->m[s->n++] = (smember *)n;
}

static void sscan_command(client *c) {
    uint64_t cursor;
    long long count = 10;
    const resp_arg *pat = NULL;
    if (scan_parse_cursor(c, &c->argv[2], &cursor) < 0) return;
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_SET, &wrong);
    if (wrong) return;
    if (!e) {
        /* Redis answers a missing key before looking at the options. */
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_empty_array(c);
        return;
    }
    if (scan_parse_options(c, 3, &count, &pat) < 0) return;
    char buf[INT_BUF];
    setv s = sv_of(e);
    if (s.enc == ENC_INTSET) {
        /* Small sets are returned whole, cursor 0, as Redis does. */
        size_t n = intset_len(s.ptr), kept = 0;
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        for (size_t i = 0; i < n; i++) {
            int64_t v = is_at(s.ptr, i);
            size_t len = resp_ll2str(buf, v);
            if (pat && !glob_match(pat->ptr, pat->len, buf, len, 0)) continue;
            reply_bulk(c, buf, len);
            kept++;
        }
        reply_defer_array(c, d, (long)kept);
        return;
    }
    struct sscan_ctx x = {.m = NULL, .n = 0, .cap = 0};
    long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(s.ptr, cursor, sscan_visit, &x);
    } while (cursor && budget-- && x.n < (unsigned long long)count);
    size_t kept = 0;
    for (size_t i = 0; i < x.n; i++) {
        smember *m = x.m[i];
        if (pat && !glob_match(pat->ptr, pat->len, m->data, m->len, 0)) continue;
        x.m[kept++] = m;
    }
    reply_array(c, 2);
    size_t blen = numconv_ull2str(buf, cursor);
    reply_bulk(c, buf, blen);
    reply_array(c, (long)kept);
    for (size_t i = 0; i < kept; i++) reply_bulk(c, x.m[i]->data, x.m[i]->len);
    mem_free(x.m);
}

/* ------------------------------------------------------------------------ */
/* Multi-key commands                                                        */
/* ------------------------------------------------------------------------ */

/* Looks up n set keys for reading into sets[] (ptr NULL for a missing
 * key). Returns -1 after replying WRONGTYPE, else the number missing.
 * Every key is checked before any result so WRONGTYPE wins over empty. */
static int lookup_sets(client *c, const resp_arg *keys, int n, setv *sets) {
    int missing = 0;
    for (int j = 0; j < n; j++) {
        int wrong;
        kv *e = lookup_read_type(c, &keys[j], TYPE_SET, &wrong);
        if (wrong) return -1;
        if (e) {
            sets[j] = sv_of(e);
        } else {
            sets[j].enc = 0;
            sets[j].ptr = NULL;
            missing++;
        }
    }
    return missing;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = sv_size(a), y = sv_size(b);
    return x < y ? -1 : x > y;
}

/* SINTER, SMEMBERS (one key), SINTERCARD (card_only, limit 0 = none) and
 * SINTERSTORE (dst). Walks the smallest set and probes the others. */
static void sinter_generic(client *c, const resp_arg *keys, int n, const resp_arg *dst,
                           int card_only, unsigned long long limit) {
    setv local[8];
    setv *sets = n <= 8 ? local : mem_alloc((size_t)n * sizeof *sets);
    int missing = lookup_sets(c, keys, n, sets);
    setv out = {.enc = 0, .ptr = NULL};
    if (missing < 0) goto done;
    if (missing > 0) {
        if (dst)
            store_result(c, dst, &out, "sinterstore");
        else if (card_only)
            reply_int(c, 0);
        else
            reply_set(c, 0);
        goto done;
    }
    qsort(sets, (size_t)n, sizeof *sets, cmp_size);
    reply_deferred d = {0};
    if (!dst && !card_only) d = reply_defer(c);
    unsigned long long card = 0;
    siter it;
    selem el;
    siter_init(&it, &sets[0]);
    while (siter_next(&it, &el)) {
        int j;
        for (j = 1; j < n; j++) {
            if (sets[j].ptr == sets[0].ptr) continue;
            if (!sv_contains_elem(&sets[j], &el)) break;
        }
        if (j < n) continue;
        card++;
        if (dst) {
            if (!out.ptr) out = sv_new_intset();
            sv_add_elem(&out, &el);
        } else if (!card_only) {
            reply_elem(c, &el);
        } else if (limit && card >= limit) {
            break;
        }
    }
    siter_done(&it);
    if (dst)
        store_result(c, dst, &out, "sinterstore");
    else if (card_only)
        reply_int(c, (long long)card);
    else
        reply_defer_set(c, d, (long)card);
done:
    if (sets != local) mem_free(sets);
}

static void sinter_command(client *c) {
    sinter_generic(c, &c->argv[1], c->argc - 1, NULL, 0, 0);
}

static void smembers_command(client *c) {
    sinter_generic(c, &c->argv[1], 1, NULL, 0, 0);
}

static void sinterstore_command(client *c) {
    sinter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0, 0);
}

static void sintercard_command(client *c) {
    long long numkeys, limit = 0;
    if (arg_ll_range(c, &c->argv[1], 1, LLONG_MAX, &numkeys,
                     "ERR numkeys should be greater than 0") < 0)
        return;
    if (numkeys > c->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            const resp_arg *a = &c->argv[++j];
            if (!numconv_str2ll(a->ptr, a->len, &limit) || limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    sinter_generic(c, &c->argv[2], (int)numkeys, NULL, 1, (unsigned long long)limit);
}

/* SUNION, SDIFF and their STORE forms: the result is built as a new set
 * (intset-first), then replied or stored. SDIFF picks, as Redis does,
 * between probing the first set's members against the others and copying
 * the first set then removing the others' members, by estimated work. */
static void sunion_diff_generic(client *c, const resp_arg *keys, int n, const resp_arg *dst,
                                int diff) {
    setv local[8];
    setv *sets = n <= 8 ? local : mem_alloc((size_t)n * sizeof *sets);
    setv out = {.enc = 0, .ptr = NULL};
    siter it;
    selem el;
    if (lookup_sets(c, keys, n, sets) < 0) goto done;
    out = sv_new_intset();
    if (!diff) {
        for (int j = 0; j < n; j++) {
            if (!sets[j].ptr) continue;
            siter_init(&it, &sets[j]);
            while (siter_next(&it, &el)) sv_add_elem(&out, &el);
            siter_done(&it);
        }
    } else if (sets[0].ptr) {
        unsigned long long work1 = 0, work2 = 0;
        for (int j = 0; j < n; j++) {
            if (!sets[j].ptr) continue;
            work1 += sv_size(&sets[0]);
            work2 += sv_size(&sets[j]);
        }
        /* Probing stops early on a hit: Redis halves its estimate. */
        work1 /= 2;
        if (work1 <= work2) {
            siter_init(&it, &sets[0]);
            while (siter_next(&it, &el)) {
                int j;
                for (j = 1; j < n; j++) {
                    if (!sets[j].ptr) continue;
                    if (sets[j].ptr == sets[0].ptr || sv_contains_elem(&sets[j], &el)) break;
                }
                if (j == n) sv_add_elem(&out, &el);
            }
            siter_done(&it);
        } else {
            siter_init(&it, &sets[0]);
            while (siter_next(&it, &el)) sv_add_elem(&out, &el);
            siter_done(&it);
            for (int j = 1; j < n && sv_size(&out) > 0; j++) {
                if (!sets[j].ptr) continue;
                siter_init(&it, &sets[j]);
                while (siter_next(&it, &el)) sv_remove_elem(&out, &el);
                siter_done(&it);
            }
        }
    }
    if (dst) {
        store_result(c, dst, &out, diff ? "sdiffstore" : "sunionstore");
    } else {
        reply_set(c, (long)sv_size(&out));
        siter_init(&it, &out);
        while (siter_next(&it, &el)) reply_elem(c, &el);
        siter_done(&it);
        sv_free(&out);
    }
done:
    if (sets != local) mem_free(sets);
}

static void sunion_command(client *c) {
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, 0);
}

static void sunionstore_command(client *c) {
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0);
}

static void sdiff_command(client *c) {
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, 1);
}

static void sdiffstore_command(client *c) {
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 1);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]. */
static int sintercard_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    long long n;
    if (argc < 3 || !numconv_str2ll(argv[1].ptr, argv[1].len, &n) || n < 1 || n > argc - 2)
        return -1;
    int k = 0;
    for (long long j = 0; j < n && k < max; j++) keys[k++] = 2 + (int)j;
    return k;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define SET_CMD(name_, proc_, arity_, flags_, acl_, first_, last_, step_, since_, summary_,      \
                cx_)                                                                          \
    {                                                                                         \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = (acl_) | ACL_SET, \
        .first_key = first_, .last_key = last_, .key_step = step_, .since = since_,           \
        .summary = summary_, .group = "set", .complexity = cx_                                \
    }

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST
#define DO CMD_DENYOOM

static command set_commands[] = {
    SET_CMD("sadd", sadd_command, -3, W | DO | F, ACL_WRITE | ACL_FAST, 1, 1, 1, "1.0.0",
            "Puts members into a set, creating the set when absent.",
            "O(1) per element, O(N) for N elements."),
    SET_CMD("srem", srem_command, -3, W | F, ACL_WRITE | ACL_FAST, 1, 1, 1, "1.0.0",
            "Takes members out of a set, deleting the set once it is empty.",
            "O(N) in the members removed."),
    SET_CMD("smembers", smembers_command, 2, R, ACL_READ | ACL_SLOW, 1, 1, 1, "1.0.0",
            "Lists all members of a set.", "O(N) in the size of the set."),
    SET_CMD("sismember", sismember_command, 3, R | F, ACL_READ | ACL_FAST, 1, 1, 1, "1.0.0",
            "Checks one value for membership in a set.", "O(1)"),
    SET_CMD("smismember", smismember_command, -3, R | F, ACL_READ | ACL_FAST, 1, 1, 1, "6.2.0",
            "Tells, for each of several values, whether it is a member of a set.",
            "O(N) in the values checked"),
    SET_CMD("scard", scard_command, 2, R | F, ACL_READ | ACL_FAST, 1, 1, 1, "1.0.0",
            "Counts the members of a set.", "O(1)"),
    SET_CMD("spop", spop_command, -2, W | F, ACL_WRITE | ACL_FAST, 1, 1, 1, "1.0.0",
            "Takes random members out of a set and replies with them.",
            "O(1) without a count, else O(N) in the count."),
    SET_CMD("srandmember", srandmember_command, -2, R, ACL_READ | ACL_SLOW, 1, 1, 1, "1.0.0",
            "Picks random members of a set, leaving the set as it is.",
            "O(1) without a count, else O(N) in the absolute count."),
    SET_CMD("smove", smove_command, 4, W | F, ACL_WRITE | ACL_FAST, 1, 2, 1, "1.0.0",
            "Takes a member out of one set and adds it to another.", "O(1)"),
    SET_CMD("sinter", sinter_command, -2, R, ACL_READ | ACL_SLOW, 1, -1, 1, "1.0.0",
            "Returns the members common to all the given sets.",
            "O(N*M) at worst for M sets, the smallest holding N members."),
    {.name = "sintercard", .proc = sintercard_command, .arity = -3, .flags = R,
     .acl = ACL_READ | ACL_SLOW | ACL_SET, .getkeys = sintercard_getkeys,
     .summary = "Counts the members common to all the given sets, optionally up to a limit.",
     .since = "7.0.0", .group = "set",
     .complexity = "O(N*M) at worst for M sets, the smallest holding N members."},
    SET_CMD("sinterstore", sinterstore_command, -3, W | DO, ACL_WRITE | ACL_SLOW, 1, -1, 1, "1.0.0",
            "Computes the members common to all given sets and stores them in a key.",
            "O(N*M) at worst for M sets, the smallest holding N members."),
    SET_CMD("sunion", sunion_command, -2, R, ACL_READ | ACL_SLOW, 1, -1, 1, "1.0.0",
            "Returns the members of any of the given sets.",
            "O(N) in the members of all the sets given."),
    SET_CMD("sunionstore", sunionstore_command, -3, W | DO, ACL_WRITE | ACL_SLOW, 1, -1, 1, "1.0.0",
            "Computes the members found in any of the given sets and stores them in a key.",
            "O(N) in the members of all the sets given."),
    SET_CMD("sdiff", sdiff_command, -2, R, ACL_READ | ACL_SLOW, 1, -1, 1, "1.0.0",
            "Returns the members of the first set that are in none of the others.",
            "O(N) in the members of all the sets given."),
    SET_CMD(
        "sdiffstore", sdiffstore_command, -3, W | DO, ACL_WRITE | ACL_SLOW, 1, -1, 1, "1.0.0",
        "Computes the members of the first set missing from the others and stores them in a key.",
        "O(N) in the members of all the sets given."),
    SET_CMD("sscan", sscan_command, -3, R, ACL_READ | ACL_SLOW, 1, 1, 1, "2.8.0",
            "Walks the members of a set with a cursor.",
            "O(1) per call; O(N) over a whole walk back to cursor 0, N being the size of the "
            "collection."),
    {.name = NULL},
};

#undef W
#undef R
#undef F
#undef DO

void set_register(void) {
    kv_register_type(TYPE_SET, &set_type_ops);
    dump_register_type(TYPE_SET, &set_dump_ops);
    command_register(set_commands);
}
