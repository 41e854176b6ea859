/*
 * stream.c - the stream type's entries: IDs, the node listpacks (layout in
 * stream_int.h), appending, deleting, trimming, iteration, the kv type
 * operations and the DUMP/snapshot codec.
 *
 * The commands live in stream_cmds.c and stream_cg.c; this file knows
 * nothing of clients beyond replying an ID or an entry.
 *
 * Called by: stream_cmds.c, stream_cg.c; the keyspace through the kv and
 * dump codecs registered in stream_register().
 */
#include "types/stream_int.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/config.h"

/* ------------------------------------------------------------------------ */
/* IDs                                                                       */
/* ------------------------------------------------------------------------ */

void stream_id_encode(const stream_id *id, unsigned char out[16]) {
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(id->ms >> (56 - 8 * i));
        out[8 + i] = (unsigned char)(id->seq >> (56 - 8 * i));
    }
}

void stream_id_decode(const unsigned char in[16], stream_id *id) {
    id->ms = id->seq = 0;
    for (int i = 0; i < 8; i++) {
        id->ms = id->ms << 8 | in[i];
        id->seq = id->seq << 8 | in[8 + i];
    }
}

size_t stream_id_format(const stream_id *id, char *buf) {
    size_t n = numconv_ull2str(buf, id->ms);
    buf[n++] = '-';
    n += numconv_ull2str(buf + n, id->seq);
    buf[n] = '\0';
    return n;
}

int stream_id_incr(stream_id *id) {
    if (id->seq == UINT64_MAX) {
        if (id->ms == UINT64_MAX) return 0;
        id->ms++;
        id->seq = 0;
    } else {
        id->seq++;
    }
    return 1;
}

int stream_id_decr(stream_id *id) {
    if (id->seq == 0) {
        if (id->ms == 0) return 0;
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        id->seq--;
    }
    return 1;
}

/* An unsigned 64-bit number as Redis reads ID parts: a canonical signed
 * integer that is not negative, or what strtoull takes whole (which also
 * admits a leading '+' or blanks, and values above LLONG_MAX). */
static int parse_u64(const char *s, size_t len, uint64_t *out) {
    long long ll;
    if (numconv_str2ll(s, len, &ll)) {
        if (ll < 0) return -1;
        *out = (uint64_t)ll;
        return 0;
    }
    char buf[128];
    if (len == 0 || len >= sizeof buf || memchr(s, '\0', len)) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno == EINVAL || errno == ERANGE || *end != '\0') return -1;
    *out = v;
    return 0;
}

int stream_id_parse(const char *p, size_t len, uint64_t missing_seq, stream_id *id,
                    int *seq_given, int allow_star_seq) {
    if (seq_given) *seq_given = 1;
    if (len > 127) return -1;
    const char *dash = memchr(p, '-', len);
    size_t mslen = dash ? (size_t)(dash - p) : len;
    if (parse_u64(p, mslen, &id->ms) < 0) return -1;
    if (!dash) {
        id->seq = missing_seq;
        return 0;
    }
    const char *sp = dash + 1;
    size_t slen = len - mslen - 1;
    if (allow_star_seq && slen == 1 && sp[0] == '*') {
        id->seq = 0;
        if (seq_given) *seq_given = 0;
        return 0;
    }
    return parse_u64(sp, slen, &id->seq);
}

int stream_id_arg(client *c, const resp_arg *a, uint64_t missing_seq, stream_id *id) {
    if (stream_id_parse(a->ptr, a->len, missing_seq, id, NULL, 0) < 0) {
        reply_error(c, "ERR Invalid stream ID specified as stream command argument");
        return -1;
    }
    return 0;
}

void reply_stream_id(client *c, const stream_id *id) {
    char buf[STREAM_ID_STR];
    size_t n = stream_id_format(id, buf);
    reply_bulk(c, buf, n);
}

/* ------------------------------------------------------------------------ */
/* Listpack helpers                                                          */
/* ------------------------------------------------------------------------ */

static long long lp_int_at(const unsigned char *p) {
    long long v = 0;
    size_t len;
    const char *s = lp_get(p, &len, &v);
    if (s) numconv_str2ll(s, len, &v); /* every stream counter is written as an integer */
    return v;
}

static listpack *lp_set_int(listpack *lp, unsigned char **p, long long v) {
    char buf[LP_INTBUF];
    size_t n = resp_ll2str(buf, v);
    return lp_replace(lp, p, buf, n);
}

static unsigned char *lp_skip(listpack *lp, unsigned char *p, long long n) {
    while (p && n-- > 0) p = lp_next(lp, p);
    return p;
}

/* The first entry's flags, after the master entry. */
static unsigned char *node_first_entry(listpack *lp, long *master_nfields,
                                       unsigned char **master_fields) {
    unsigned char *p = lp_first(lp); /* count */
    p = lp_skip(lp, p, 2);           /* nfields */
    long nf = (long)lp_int_at(p);
    p = lp_next(lp, p);
    if (master_nfields) *master_nfields = nf;
    if (master_fields) *master_fields = p;
    return lp_skip(lp, p, nf + 1);   /* fields and the 0 terminator */
}

static stream_id entry_id(const stream_id *master, listpack *lp, unsigned char *flags_pos) {
    unsigned char *p = lp_next(lp, flags_pos);
    stream_id id;
    id.ms = master->ms + (uint64_t)lp_int_at(p);
    p = lp_next(lp, p);
    id.seq = master->seq + (uint64_t)lp_int_at(p);
    return id;
}

/* The flags of the entry after the one at p (NULL at the end). */
static unsigned char *entry_next(listpack *lp, unsigned char *p, long master_nfields) {
    long long flags = lp_int_at(p);
    p = lp_skip(lp, p, 3);
    if (flags & STREAM_ENTRY_SAMEFIELDS) {
        p = lp_skip(lp, p, master_nfields);
    } else {
        long long nf = lp_int_at(p);
        p = lp_skip(lp, p, 1 + 2 * nf);
    }
    return lp_next(lp, p); /* past lp-count */
}

/* The flags of the entry before the one at p; first is the first entry. */
static unsigned char *entry_prev(listpack *lp, unsigned char *p, unsigned char *first) {
    if (p == first) return NULL;
    unsigned char *q = lp_prev(lp, p); /* lp-count of the previous entry */
    long long n = lp_int_at(q);
    while (q && n-- > 0) q = lp_prev(lp, q);
    return q;
}

static unsigned char *node_last_entry(listpack *lp) {
    unsigned char *q = lp_last(lp);
    long long n = lp_int_at(q);
    while (q && n-- > 0) q = lp_prev(lp, q);
    return q;
}

/* ------------------------------------------------------------------------ */
/* The stream                                                                */
/* ------------------------------------------------------------------------ */

stream *stream_new(void) {
    stream *s = mem_calloc(sizeof *s);
    s->nodes = radix_new();
    return s;
}

static void free_node(void *lp) {
    lp_free(lp);
}

void stream_free(stream *s) {
    if (!s) return;
    radix_free(s->nodes, free_node);
    if (s->groups) radix_free(s->groups, stream_group_free);
    mem_free(s);
}

kv *stream_kv_new(const char *key, size_t klen, stream *s) {
    return kv_new_ptr(key, klen, TYPE_STREAM, ENC_STREAM, s);
}

size_t stream_node_count(const stream *s) {
    return radix_size(s->nodes);
}

size_t stream_tree_nodes(const stream *s) {
    /* Redis's tree counts its root and a separate leaf per key: one more
     * node than ours for the usual single-branch shapes. */
    return radix_nodes(s->nodes) + 1;
}

/* A new node for an entry whose fields become the master fields. */
static listpack *node_new(const resp_arg *fv, long nfields) {
    listpack *lp = lp_new();
    lp = lp_append_int(lp, 0); /* count */
    lp = lp_append_int(lp, 0); /* deleted */
    lp = lp_append_int(lp, nfields);
    for (long i = 0; i < nfields; i++) lp = lp_append(lp, fv[2 * i].ptr, fv[2 * i].len);
    return lp_append_int(lp, 0); /* master terminator */
}

static int same_fields(listpack *lp, const resp_arg *fv, long nfields) {
    long mnf;
    unsigned char *mf;
    node_first_entry(lp, &mnf, &mf);
    if (mnf != nfields) return 0;
    for (long i = 0; i < nfields; i++, mf = lp_next(lp, mf))
        if (!lp_eq(mf, fv[2 * i].ptr, fv[2 * i].len)) return 0;
    return 1;
}

/* Largest node listpack, whatever stream-node-max-bytes says (Redis: 1 GiB). */
#define STREAM_NODE_HARD_MAX ((size_t)1 << 30)

/* 1 when the last node can take one more entry whose fields and values
 * add up to len bytes (Redis's rule: node bytes + len must stay below
 * stream-node-max-bytes; live + deleted entries below the entry bound). */
static int node_has_room(listpack *lp, size_t len, long nfields) {
    unsigned char *p = lp_first(lp);
    long long count = lp_int_at(p);
    long long deleted = lp_int_at(lp_next(lp, p));
    size_t max_bytes = (size_t)cfg->stream_node_max_bytes;
    if (max_bytes == 0 || max_bytes > STREAM_NODE_HARD_MAX) max_bytes = STREAM_NODE_HARD_MAX;
    if (lp_bytes(lp) + len >= max_bytes) return 0;
    if (cfg->stream_node_max_entries > 0 && count + deleted >= cfg->stream_node_max_entries)
        return 0;
    /* Per element at most 15 bytes of encoding and back-length. */
    return lp_safe_to_add(lp, len + 16 * (2 * (size_t)nfields + 5));
}

void stream_append(stream *s, const stream_id *id, const resp_arg *fv, long nfields) {
    size_t len = 0;
    for (long i = 0; i < 2 * nfields; i++) len += fv[i].len;
    radix_iter it;
    radix_iter_init(&it, s->nodes);
    listpack *lp = NULL;
    stream_id master;
    unsigned char key[16];
    if (radix_seek(&it, RADIX_LAST, NULL, 0) && node_has_room(it.value, len, nfields)) {
        lp = it.value;
        stream_id_decode(it.key, &master);
        memcpy(key, it.key, 16);
    }
    radix_iter_done(&it);
    if (!lp) {
        lp = node_new(fv, nfields);
        master = *id;
        stream_id_encode(id, key);
    }
    int same = same_fields(lp, fv, nfields);
    lp = lp_append_int(lp, same ? STREAM_ENTRY_SAMEFIELDS : 0);
    lp = lp_append_int(lp, (long long)(id->ms - master.ms));
    lp = lp_append_int(lp, (long long)(id->seq - master.seq));
    if (!same) lp = lp_append_int(lp, nfields);
    for (long i = 0; i < nfields; i++) {
        if (!same) lp = lp_append(lp, fv[2 * i].ptr, fv[2 * i].len);
        lp = lp_append(lp, fv[2 * i + 1].ptr, fv[2 * i + 1].len);
    }
    lp = lp_append_int(lp, same ? 3 + nfields : 4 + 2 * nfields);
    unsigned char *p = lp_first(lp);
    lp = lp_set_int(lp, &p, lp_int_at(p) + 1);
    radix_insert(s->nodes, key, 16, lp, NULL);
    if (s->length == 0) s->first_id = *id;
    s->length++;
    s->entries_added++;
    s->last_id = *id;
}

/* Recomputes first_id after removals. */
static void update_first_id(stream *s) {
    stream_iter it;
    stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    stream_iter_start(&it, s, &lo, &hi, 0);
    if (stream_iter_next(&it))
        s->first_id = it.id;
    else
        s->first_id = lo;
    stream_iter_done(&it);
}

/* Flags the entry at *pos deleted and updates the node's counters; frees
 * the node (returning NULL) when it has no live entry left. */
static listpack *mark_deleted(stream *s, const unsigned char key[16], listpack *lp,
                              unsigned char **pos) {
    long long flags = lp_int_at(*pos);
    lp = lp_set_int(lp, pos, flags | STREAM_ENTRY_DELETED);
    unsigned char *p = lp_first(lp);
    long long count = lp_int_at(p) - 1;
    s->length--;
    if (count == 0) {
        radix_remove(s->nodes, key, 16, NULL);
        lp_free(lp);
        *pos = NULL;
        return NULL;
    }
    /* Entries keep their offsets: counters stay small integers, but
     * rewriting one may change its width, so find *pos again by offset. */
    ptrdiff_t off = *pos - lp;
    ptrdiff_t before = (ptrdiff_t)lp_bytes(lp);
    lp = lp_set_int(lp, &p, count);
    p = lp_next(lp, p);
    lp = lp_set_int(lp, &p, lp_int_at(p) + 1);
    *pos = lp + off + ((ptrdiff_t)lp_bytes(lp) - before);
    radix_insert(s->nodes, key, 16, lp, NULL);
    return lp;
}

int stream_delete(stream *s, const stream_id *id) {
    unsigned char key[16];
    stream_id_encode(id, key);
    radix_iter it;
    radix_iter_init(&it, s->nodes);
    int found = 0;
    if (radix_seek(&it, RADIX_LE, key, 16)) {
        listpack *lp = it.value;
        stream_id master;
        stream_id_decode(it.key, &master);
        long mnf;
        unsigned char *p = node_first_entry(lp, &mnf, NULL);
        while (p) {
            stream_id eid = entry_id(&master, lp, p);
            int cmp = stream_id_cmp(&eid, id);
            if (cmp > 0) break;
            if (cmp == 0) {
                if (!(lp_int_at(p) & STREAM_ENTRY_DELETED)) {
                    mark_deleted(s, it.key, lp, &p);
                    found = 1;
                }
                break;
            }
            p = entry_next(lp, p, mnf);
        }
    }
    radix_iter_done(&it);
    if (found && s->length > 0 && stream_id_cmp(id, &s->first_id) == 0) update_first_id(s);
    if (s->length == 0) s->first_id = (stream_id){0, 0};
    return found;
}

void stream_last_valid_id(stream *s, stream_id *out) {
    stream_iter it;
    stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    stream_iter_start(&it, s, &lo, &hi, 1);
    if (stream_iter_next(&it))
        *out = it.id;
    else
        *out = lo;
    stream_iter_done(&it);
}

/* Removes from one node (not whole) the leading entries the strategy
 * wants gone. Returns how many it removed. */
static long long trim_inside_node(stream *s, const unsigned char key[16], listpack *lp,
                                  int strategy, uint64_t maxlen, const stream_id *minid) {
    stream_id master;
    stream_id_decode(key, &master);
    long mnf;
    unsigned char *p = node_first_entry(lp, &mnf, NULL);
    long long removed = 0;
    while (p) {
        int stop;
        if (strategy == STREAM_TRIM_MAXLEN) {
            stop = s->length <= maxlen;
        } else {
            stream_id eid = entry_id(&master, lp, p);
            stop = stream_id_cmp(&eid, minid) >= 0;
        }
        if (stop) break;
        if (!(lp_int_at(p) & STREAM_ENTRY_DELETED)) {
            lp = mark_deleted(s, key, lp, &p);
            removed++;
            if (!lp) break;
        }
        p = entry_next(lp, p, mnf);
    }
    return removed;
}

long long stream_trim(stream *s, int strategy, uint64_t maxlen, const stream_id *minid,
                      int approx, long long limit) {
    radix_iter it;
    radix_iter_init(&it, s->nodes);
    long long removed = 0;
    int ok = radix_seek(&it, RADIX_FIRST, NULL, 0);
    while (ok) {
        if (strategy == STREAM_TRIM_MAXLEN && s->length <= maxlen) break;
        listpack *lp = it.value;
        long long entries = lp_int_at(lp_first(lp));
        if (limit && removed + entries > limit) break;
        int whole;
        if (strategy == STREAM_TRIM_MAXLEN) {
            whole = s->length - (uint64_t)entries >= maxlen;
        } else {
            stream_id master, last;
            stream_id_decode(it.key, &master);
            last = entry_id(&master, lp, node_last_entry(lp));
            whole = stream_id_cmp(&last, minid) < 0;
        }
        if (whole) {
            radix_remove(s->nodes, it.key, 16, NULL);
            lp_free(lp);
            s->length -= (uint64_t)entries;
            removed += entries;
            ok = radix_seek(&it, RADIX_GT, it.key, it.len);
            continue;
        }
        if (!approx) removed += trim_inside_node(s, it.key, lp, strategy, maxlen, minid);
        break;
    }
    radix_iter_done(&it);
    if (s->length == 0)
        s->first_id = (stream_id){0, 0};
    else if (removed)
        update_first_id(s);
    return removed;
}

/* ------------------------------------------------------------------------ */
/* Iteration                                                                 */
/* ------------------------------------------------------------------------ */

void stream_iter_start(stream_iter *it, stream *s, const stream_id *start, const stream_id *end,
                       int rev) {
    memset(it, 0, sizeof *it);
    it->s = s;
    it->start = *start;
    it->end = *end;
    it->rev = rev;
    radix_iter_init(&it->ri, s->nodes);
}

void stream_iter_done(stream_iter *it) {
    radix_iter_done(&it->ri);
}

/* Moves to the next node in the iteration's direction and positions on its
 * first (or last) entry. 0 when there is none. */
static int iter_next_node(stream_iter *it) {
    int ok;
    unsigned char key[16];
    if (!it->started) {
        it->started = 1;
        stream_id_encode(it->rev ? &it->end : &it->start, key);
        ok = radix_seek(&it->ri, RADIX_LE, key, 16);
        if (!ok && !it->rev) ok = radix_seek(&it->ri, RADIX_FIRST, NULL, 0);
    } else {
        ok = it->rev ? radix_prev(&it->ri) : radix_next(&it->ri);
    }
    if (!ok) return 0;
    it->lp = it->ri.value;
    stream_id_decode(it->ri.key, &it->master_id);
    it->first_entry = node_first_entry(it->lp, &it->master_nfields, &it->master_fields);
    it->pos = it->rev ? node_last_entry(it->lp) : it->first_entry;
    return it->pos != NULL;
}

/* Decodes the flags and ID of the entry at it->pos, leaving it->after_id on
 * the element after the ID (the first value, or the field count). */
static long long iter_decode(stream_iter *it, stream_id *id) {
    listpack *lp = it->lp;
    unsigned char *q = it->pos;
    long long flags = lp_int_at(q);
    q = lp_next(lp, q);
    id->ms = it->master_id.ms + (uint64_t)lp_int_at(q);
    q = lp_next(lp, q);
    id->seq = it->master_id.seq + (uint64_t)lp_int_at(q);
    it->after_id = lp_next(lp, q);
    it->flags = flags;
    return flags;
}

/* The flags of the entry after the one iter_decode() read last. */
static unsigned char *iter_skip_forward(stream_iter *it) {
    listpack *lp = it->lp;
    unsigned char *q = it->after_id;
    if (it->flags & STREAM_ENTRY_SAMEFIELDS)
        q = lp_skip(lp, q, it->master_nfields);
    else
        q = lp_skip(lp, q, 1 + 2 * lp_int_at(q));
    return lp_next(lp, q); /* past lp-count */
}

/* Makes the decoded entry the iterator's current one. */
static void iter_load(stream_iter *it, const stream_id *id) {
    it->id = *id;
    it->samefields = (it->flags & STREAM_ENTRY_SAMEFIELDS) != 0;
    if (it->samefields) {
        it->nfields = it->master_nfields;
        it->fv = it->after_id;
    } else {
        it->nfields = (long)lp_int_at(it->after_id);
        it->fv = lp_next(it->lp, it->after_id);
    }
}

int stream_iter_next(stream_iter *it) {
    while (!it->done) {
        /* pos is the entry returned last (step past it) or, right after
         * moving to a node, the first candidate there (examine it). */
        if (it->pos)
            it->pos = it->rev ? entry_prev(it->lp, it->pos, it->first_entry)
                              : iter_skip_forward(it);
        if (!it->pos && !iter_next_node(it)) {
            it->done = 1;
            break;
        }
        stream_id id;
        long long flags = iter_decode(it, &id);
        if (it->rev ? stream_id_cmp(&id, &it->start) < 0 : stream_id_cmp(&id, &it->end) > 0) {
            it->done = 1;
            break;
        }
        if (flags & STREAM_ENTRY_DELETED) continue;
        if (it->rev ? stream_id_cmp(&id, &it->end) > 0 : stream_id_cmp(&id, &it->start) < 0)
            continue;
        iter_load(it, &id);
        return 1;
    }
    return 0;
}

void stream_fields_begin(stream_iter *it, stream_fields *fc) {
    fc->same = it->samefields;
    fc->f = it->samefields ? it->master_fields : it->fv;
    fc->v = it->samefields ? it->fv : lp_next(it->lp, it->fv);
}

void stream_fields_next(stream_iter *it, stream_fields *fc, const char **f, size_t *flen,
                        char fbuf[LP_INTBUF], const char **v, size_t *vlen,
                        char vbuf[LP_INTBUF]) {
    *f = lp_get_str(fc->f, flen, fbuf);
    *v = lp_get_str(fc->v, vlen, vbuf);
    int step = fc->same ? 1 : 2;
    fc->f = lp_skip(it->lp, fc->f, step);
    fc->v = lp_skip(it->lp, fc->v, step);
}

void stream_reply_entry(client *c, stream_iter *it) {
    reply_array(c, 2);
    reply_stream_id(c, &it->id);
    reply_array(c, 2 * it->nfields);
    stream_fields fc;
    stream_fields_begin(it, &fc);
    for (long i = 0; i < it->nfields; i++) {
        char fb[LP_INTBUF], vb[LP_INTBUF];
        const char *f, *v;
        size_t fl, vl;
        stream_fields_next(it, &fc, &f, &fl, fb, &v, &vl, vb);
        reply_bulk(c, f, fl);
        reply_bulk(c, v, vl);
    }
}

/* ------------------------------------------------------------------------ */
/* Type operations                                                           */
/* ------------------------------------------------------------------------ */

static void stream_free_value(void *p, int enc) {
    (void)enc;
    stream_free(p);
}

static void *stream_dup_value(const void *p, int enc) {
    (void)enc;
    const stream *s = p;
    stream *d = stream_new();
    radix_iter it;
    radix_iter_init(&it, s->nodes);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it))
        radix_insert(d->nodes, it.key, it.len, lp_dup(it.value), NULL);
    radix_iter_done(&it);
    d->length = s->length;
    d->last_id = s->last_id;
    d->first_id = s->first_id;
    d->max_deleted_id = s->max_deleted_id;
    d->entries_added = s->entries_added;
    if (s->groups) d->groups = stream_groups_dup(s->groups);
    return d;
}

static size_t stream_mem_value(const void *p, int enc) {
    (void)enc;
    const stream *s = p;
    size_t total = sizeof *s + radix_mem(s->nodes);
    radix_iter it;
    radix_iter_init(&it, s->nodes);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it))
        total += lp_bytes(it.value);
    radix_iter_done(&it);
    if (s->groups) total += stream_groups_mem(s->groups);
    return total;
}

static const kv_type_ops stream_type_ops = {"stream", stream_free_value, stream_dup_value,
                                            stream_mem_value};

/* ------------------------------------------------------------------------ */
/* DUMP / snapshot codec                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Body (docs/FORMATS.md, "stream"): the live entries, not the node layout,
 * so that a payload never carries a listpack to trust:
 *   varint count, then per entry: varint ms, varint seq, varint nfields,
 *   blob field, blob value ... (IDs strictly increasing, above 0-0)
 *   last_id (varint ms, varint seq), max_deleted_id (ms, seq),
 *   varint entries_added, then the consumer groups (stream_cg.c).
 */
#define STREAM_HINT_V1 0

static void put_id(dstr **out, const stream_id *id) {
    dump_put_varint(out, id->ms);
    dump_put_varint(out, id->seq);
}

static int get_id(dump_reader *r, stream_id *id) {
    return dump_get_varint(r, &id->ms) < 0 || dump_get_varint(r, &id->seq) < 0 ? -1 : 0;
}

static uint8_t stream_encode(const kv *e, dstr **out) {
    stream *s = stream_of(e);
    dump_put_varint(out, s->length);
    stream_iter it;
    stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    stream_iter_start(&it, s, &lo, &hi, 0);
    while (stream_iter_next(&it)) {
        put_id(out, &it.id);
        dump_put_varint(out, (uint64_t)it.nfields);
        stream_fields fc;
        stream_fields_begin(&it, &fc);
        for (long i = 0; i < it.nfields; i++) {
            char fb[LP_INTBUF], vb[LP_INTBUF];
            const char *f, *v;
            size_t fl, vl;
            stream_fields_next(&it, &fc, &f, &fl, fb, &v, &vl, vb);
            dump_put_blob(out, f, fl);
            dump_put_blob(out, v, vl);
        }
    }
    stream_iter_done(&it);
    put_id(out, &s->last_id);
    put_id(out, &s->max_deleted_id);
    dump_put_varint(out, s->entries_added);
    stream_groups_encode(s, out);
    return STREAM_HINT_V1;
}

/* Reads one entry and appends it; -1 on malformed input. */
static int decode_entry(stream *s, dump_reader *r) {
    stream_id id;
    uint64_t nf;
    if (get_id(r, &id) < 0 || dump_get_varint(r, &nf) < 0) return -1;
    stream_id zero = {0, 0};
    if (stream_id_cmp(&id, s->length ? &s->last_id : &zero) <= 0) return -1;
    /* Each field and value takes at least a length byte. */
    if (nf == 0 || nf > dump_remaining(r) / 2) return -1;
    resp_arg *fv = mem_alloc(sizeof(resp_arg) * 2 * nf);
    for (uint64_t i = 0; i < 2 * nf; i++) {
        if (dump_get_blob(r, &fv[i].ptr, &fv[i].len) < 0) {
            mem_free(fv);
            return -1;
        }
    }
    stream_append(s, &id, fv, (long)nf);
    mem_free(fv);
    return 0;
}

static kv *stream_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    uint64_t count;
    if (hint != STREAM_HINT_V1 || dump_get_varint(r, &count) < 0) return NULL;
    if (count > dump_remaining(r)) return NULL;
    stream *s = stream_new();
    stream_id last_entry = {0, 0};
    for (uint64_t i = 0; i < count; i++)
        if (decode_entry(s, r) < 0) goto bad;
    last_entry = s->last_id;
    if (get_id(r, &s->last_id) < 0 || get_id(r, &s->max_deleted_id) < 0 ||
        dump_get_varint(r, &s->entries_added) < 0)
        goto bad;
    if (stream_id_cmp(&s->last_id, &last_entry) < 0 || s->entries_added < s->length) goto bad;
    if (stream_groups_decode(s, r) < 0) goto bad;
    return stream_kv_new(key, klen, s);
bad:
    stream_free(s);
    return NULL;
}

static const dump_type_ops stream_dump_ops = {stream_encode, stream_decode};

void stream_register(void) {
    kv_register_type(TYPE_STREAM, &stream_type_ops);
    dump_register_type(TYPE_STREAM, &stream_dump_ops);
    stream_cmds_register();
    stream_cg_register();
}
