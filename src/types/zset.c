/*
 * zset.c - the sorted set type: representation, conversions, and the
 * commands that read or write one key (ZADD, ZRANGE family, ZPOP, ...).
 * Commands over several keys (ZUNION, ZINTER, ZDIFF, ZMPOP...) live in
 * zset_ops.c and use the internal API of zset_int.h.
 *
 * Two encodings, as in Redis:
 *   ENC_LISTPACK  member,score,member,score... sorted by (score, member);
 *                 scores stored as their "%.17g" text (integers as ints).
 *   ENC_SKIPLIST  ds/skiplist.h: ordered list with spans + member index.
 * A value converts to the skiplist once it holds more than
 * zset-max-listpack-entries members or a member longer than
 * zset-max-listpack-value bytes, and never back, except for the results
 * of the STORE commands, which are built with the encoding their size calls
 * for (Redis 7.0 does the same).
 *
 * Invariants:
 *  1. A key never holds an empty sorted set: the last removal deletes it.
 *  2. No score is NaN. A listpack keeps -0 as 0; a skiplist keeps -0 (as
 *     Redis 7.0 does in each encoding).
 *  3. A kv's pointer is a listpack when enc == ENC_LISTPACK, a skiplist
 *     otherwise.
 *
 * Called by: the dispatcher (through the table zset_register installs),
 * SORT (zset.h), DUMP/RESTORE (the codec registered here).
 */
#include "types/zset_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "proto/resp.h"
#include "server/config.h"
#include "types/dump.h"
#include "types/types.h"

/* ------------------------------------------------------------------------ */
/* Representation                                                            */
/* ------------------------------------------------------------------------ */

double zs_lp_score(const unsigned char *p) {
    long long iv;
    size_t len;
    const char *s = lp_get(p, &len, &iv);
    if (!s) return (double)iv;
    char buf[64];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return strtod(buf, NULL);
}

/* The text a score is kept as inside a listpack. As in Redis, a listpack
 * does not keep the sign of zero (-0 is written as 0); a skiplist keeps the
 * double as it is. */
static size_t score_text(char *buf, double score) {
    if (score == 0) score = 0;
    return resp_d2str(buf, score);
}

size_t zs_len(const kv *e) {
    void *p = kv_ptr(e);
    if (e->enc == ENC_LISTPACK) return lp_count(p) / 2;
    return ((skiplist *)p)->length;
}

int zs_score(const kv *e, const char *m, size_t len, double *score) {
    if (e->enc == ENC_LISTPACK) {
        listpack *lp = kv_ptr(e);
        unsigned char *f = lp_first(lp);
        unsigned char *p = f ? lp_find(lp, f, m, len, 1) : NULL;
        if (!p) return 0;
        *score = zs_lp_score(lp_next(lp, p));
        return 1;
    }
    sl_node *n = sl_find(kv_ptr(e), m, len);
    if (!n) return 0;
    *score = n->score;
    return 1;
}

/* Inserts (member, score) at its sorted place; the member must be absent. */
static listpack *lp_zinsert(listpack *lp, const char *m, size_t len, double score) {
    char sbuf[32];
    size_t slen = score_text(sbuf, score);
    unsigned char *p = lp_first(lp);
    while (p) {
        unsigned char *sp = lp_next(lp, p);
        double s = zs_lp_score(sp);
        if (s > score) break;
        if (s == score) {
            char ibuf[LP_INTBUF];
            size_t elen;
            const char *el = lp_get_str(p, &elen, ibuf);
            if (sl_cmp_member(el, elen, m, len) > 0) break;
        }
        p = lp_next(lp, sp);
    }
    if (!p) {
        lp = lp_append(lp, m, len);
        return lp_append(lp, sbuf, slen);
    }
    lp = lp_insert(lp, &p, LP_BEFORE, m, len);
    return lp_insert(lp, &p, LP_AFTER, sbuf, slen);
}

static listpack *lp_zdelete(listpack *lp, unsigned char *p) {
    lp = lp_delete(lp, &p);
    return lp_delete(lp, &p);
}

void zset_to_skiplist(kv *e) {
    if (e->enc != ENC_LISTPACK) return;
    listpack *lp = kv_ptr(e);
    skiplist *sl = sl_new();
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        char ibuf[LP_INTBUF];
        size_t len;
        const char *m = lp_get_str(p, &len, ibuf);
        sl_insert(sl, zs_lp_score(lp_next(lp, p)), m, len);
    }
    lp_free(lp);
    kv_set_ptr(e, sl);
    kv_set_encoding(e, ENC_SKIPLIST);
}

static listpack *sl_to_lp(skiplist *sl) {
    listpack *lp = lp_new();
    char sbuf[32];
    for (sl_node *n = sl_first(sl); n; n = sl_next(n)) {
        lp = lp_append(lp, sl_member(n), n->len);
        lp = lp_append(lp, sbuf, score_text(sbuf, n->score));
    }
    return lp;
}

int zs_fits_listpack(size_t count, size_t maxlen) {
    return cfg->zset_max_listpack_entries > 0 &&
           count <= (unsigned long long)cfg->zset_max_listpack_entries &&
           maxlen <= (unsigned long long)cfg->zset_max_listpack_value;
}

kv *zs_new_from_skiplist(const char *key, size_t klen, skiplist *sl_take) {
    size_t maxlen = 0;
    for (sl_node *n = sl_first(sl_take); n; n = sl_next(n))
        if (n->len > maxlen) maxlen = n->len;
    if (zs_fits_listpack(sl_take->length, maxlen)) {
        listpack *lp = sl_to_lp(sl_take);
        sl_free(sl_take);
        return kv_new_ptr(key, klen, TYPE_ZSET, ENC_LISTPACK, lp);
    }
    return kv_new_ptr(key, klen, TYPE_ZSET, ENC_SKIPLIST, sl_take);
}

kv *zs_new_empty(const char *key, size_t klen, size_t first_len) {
    if (cfg->zset_max_listpack_entries == 0 ||
        first_len > (unsigned long long)cfg->zset_max_listpack_value)
        return kv_new_ptr(key, klen, TYPE_ZSET, ENC_SKIPLIST, sl_new());
    return kv_new_ptr(key, klen, TYPE_ZSET, ENC_LISTPACK, lp_new());
}

/* Adds or updates one member (Redis's zsetAdd). Returns 0 only when the
 * result would be NaN (ZS_OUT_NAN set). */
int zs_add(kv *e, double score, const char *m, size_t len, int in, int *out, double *newscore) {
    *out = 0;
    if (isnan(score)) {
        *out = ZS_OUT_NAN;
        return 0;
    }
    double cur;
    int found = zs_score(e, m, len, &cur);
    if (found) {
        if (in & ZS_NX) {
            *out = ZS_OUT_NOP;
            return 1;
        }
        if (in & ZS_INCR) {
            score += cur;
            if (isnan(score)) {
                *out = ZS_OUT_NAN;
                return 0;
            }
        }
        if (((in & ZS_LT) && score >= cur) || ((in & ZS_GT) && score <= cur)) {
            *out = ZS_OUT_NOP;
            return 1;
        }
        if (newscore) *newscore = score;
        if (score != cur) {
            if (e->enc == ENC_LISTPACK) {
                listpack *lp = kv_ptr(e);
                unsigned char *p = lp_find(lp, lp_first(lp), m, len, 1);
                lp = lp_zdelete(lp, p);
                lp = lp_zinsert(lp, m, len, score);
                kv_set_ptr(e, lp);
            } else {
                skiplist *sl = kv_ptr(e);
                sl_update_score(sl, sl_find(sl, m, len), score);
            }
            *out = ZS_OUT_UPDATED;
        }
        return 1;
    }
    if (in & ZS_XX) {
        *out = ZS_OUT_NOP;
        return 1;
    }
    if (e->enc == ENC_LISTPACK &&
        !zs_fits_listpack(lp_count(kv_ptr(e)) / 2 + 1, len))
        zset_to_skiplist(e);
    if (e->enc == ENC_LISTPACK)
        kv_set_ptr(e, lp_zinsert(kv_ptr(e), m, len, score));
    else
        sl_insert(kv_ptr(e), score, m, len);
    if (newscore) *newscore = score;
    *out = ZS_OUT_ADDED;
    return 1;
}

int zs_del(kv *e, const char *m, size_t len) {
    if (e->enc == ENC_LISTPACK) {
        listpack *lp = kv_ptr(e);
        unsigned char *f = lp_first(lp);
        unsigned char *p = f ? lp_find(lp, f, m, len, 1) : NULL;
        if (!p) return 0;
        kv_set_ptr(e, lp_zdelete(lp, p));
        return 1;
    }
    return sl_delete(kv_ptr(e), m, len);
}

/* 0-based rank of a member, -1 when absent. */
long zs_rank(const kv *e, const char *m, size_t len, int rev) {
    size_t n = zs_len(e);
    long r = -1;
    if (e->enc == ENC_LISTPACK) {
        listpack *lp = kv_ptr(e);
        long i = 0;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p)), i++)
            if (lp_eq(p, m, len)) {
                r = i;
                break;
            }
    } else {
        skiplist *sl = kv_ptr(e);
        sl_node *x = sl_find(sl, m, len);
        if (x) r = (long)sl_rank(sl, x) - 1;
    }
    if (r >= 0 && rev) r = (long)n - 1 - r;
    return r;
}

/* --- iteration --- */

static int zit_load(zit *it) {
    if (it->lp) {
        if (!it->p) return 0;
        it->m = lp_get_str(it->p, &it->mlen, it->buf);
        it->score = zs_lp_score(lp_next(it->l, it->p));
        return 1;
    }
    if (!it->n) return 0;
    it->m = sl_member(it->n);
    it->mlen = it->n->len;
    it->score = it->n->score;
    return 1;
}

/* Positions it on the 0-based rank (ascending); returns 0 past the end. */
int zit_seek(zit *it, const kv *e, size_t rank) {
    it->lp = e->enc == ENC_LISTPACK;
    if (it->lp) {
        it->l = kv_ptr(e);
        it->p = rank < lp_count(it->l) / 2 ? lp_seek(it->l, (long)(rank * 2)) : NULL;
    } else {
        it->n = sl_by_rank(kv_ptr(e), rank + 1);
    }
    return zit_load(it);
}

int zit_next(zit *it) {
    if (it->lp) {
        if (it->p) it->p = lp_next(it->l, lp_next(it->l, it->p));
    } else if (it->n) {
        it->n = sl_next(it->n);
    }
    return zit_load(it);
}

int zit_prev(zit *it) {
    if (it->lp) {
        if (it->p) {
            unsigned char *s = lp_prev(it->l, it->p);
            it->p = s ? lp_prev(it->l, s) : NULL;
        }
    } else if (it->n) {
        it->n = it->n->backward;
    }
    return zit_load(it);
}

/* Positions it at the first (rev: last) element in the score range. */
int zit_seek_score(zit *it, const kv *e, const sl_range *r, int rev) {
    it->lp = e->enc == ENC_LISTPACK;
    if (!it->lp) {
        skiplist *sl = kv_ptr(e);
        it->n = rev ? sl_last_in_range(sl, r) : sl_first_in_range(sl, r);
        return zit_load(it);
    }
    it->l = kv_ptr(e);
    it->p = NULL;
    if (sl_range_empty(r)) return 0;
    if (!rev) {
        for (int ok = zit_seek(it, e, 0); ok; ok = zit_next(it)) {
            if (!sl_score_gte_min(it->score, r)) continue;
            if (!sl_score_lte_max(it->score, r)) break;
            return 1;
        }
    } else {
        size_t n = zs_len(e);
        for (int ok = n ? zit_seek(it, e, n - 1) : 0; ok; ok = zit_prev(it)) {
            if (!sl_score_lte_max(it->score, r)) continue;
            if (!sl_score_gte_min(it->score, r)) break;
            return 1;
        }
    }
    it->p = NULL;
    return 0;
}

int zit_seek_lex(zit *it, const kv *e, const sl_lexrange *r, int rev) {
    it->lp = e->enc == ENC_LISTPACK;
    if (!it->lp) {
        skiplist *sl = kv_ptr(e);
        it->n = rev ? sl_last_in_lex(sl, r) : sl_first_in_lex(sl, r);
        return zit_load(it);
    }
    it->l = kv_ptr(e);
    it->p = NULL;
    if (sl_lex_empty(r)) return 0;
    /* As the skiplist (sl_first_in_lex): the range must reach the set's ends. */
    size_t len = zs_len(e);
    if (!len || !zit_seek(it, e, len - 1) || !sl_lex_gte_min(it->m, it->mlen, r) ||
        !zit_seek(it, e, 0) || !sl_lex_lte_max(it->m, it->mlen, r)) {
        it->p = NULL;
        return 0;
    }
    if (!rev) {
        for (int ok = zit_seek(it, e, 0); ok; ok = zit_next(it)) {
            if (!sl_lex_gte_min(it->m, it->mlen, r)) continue;
            if (!sl_lex_lte_max(it->m, it->mlen, r)) break;
            return 1;
        }
    } else {
        for (int ok = zit_seek(it, e, len - 1); ok; ok = zit_prev(it)) {
            if (!sl_lex_lte_max(it->m, it->mlen, r)) continue;
            if (!sl_lex_gte_min(it->m, it->mlen, r)) break;
            return 1;
        }
    }
    it->p = NULL;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Type operations, SORT and DUMP                                            */
/* ------------------------------------------------------------------------ */

static void zset_free_value(void *p, int enc) {
    if (enc == ENC_SKIPLIST)
        sl_free(p);
    else
        lp_free(p);
}

static void *zset_dup_value(const void *p, int enc) {
    if (enc != ENC_SKIPLIST) return lp_dup(p);
    skiplist *src = (skiplist *)p, *dst = sl_new();
    for (sl_node *n = sl_first(src); n; n = sl_next(n)) sl_insert(dst, n->score, sl_member(n), n->len);
    return dst;
}

static size_t zset_mem_value(const void *p, int enc) {
    if (enc == ENC_SKIPLIST) return sl_mem_usage(p);
    return mem_usable((void *)p);
}

static const kv_type_ops zset_type_ops = {
    .name = "zset", .free = zset_free_value, .dup = zset_dup_value, .mem_usage = zset_mem_value};

size_t zset_size(const kv *e) {
    return zs_len(e);
}

void zset_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg) {
    zit it;
    for (int ok = zit_seek(&it, e, 0); ok; ok = zit_next(&it)) fn(it.m, it.mlen, arg);
}

/* Body: varint count, then per member a blob and the score's 8 bytes (LE
 * IEEE-754), in ascending order. */
static uint8_t zset_dump_encode(const kv *e, dstr **out) {
    dump_put_varint(out, zs_len(e));
    zit it;
    for (int ok = zit_seek(&it, e, 0); ok; ok = zit_next(&it)) {
        dump_put_blob(out, it.m, it.mlen);
        uint64_t bits;
        memcpy(&bits, &it.score, 8);
        for (int i = 0; i < 8; i++) dump_put_u8(out, (uint8_t)(bits >> (8 * i)));
    }
    return 0;
}

static kv *zset_dump_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    uint64_t count;
    if (hint != 0 || dump_get_varint(r, &count) < 0 || count == 0) return NULL;
    /* Each member needs at least a length byte and 8 score bytes. */
    if (count > dump_remaining(r) / 9) return NULL;
    skiplist *sl = sl_new();
    for (uint64_t i = 0; i < count; i++) {
        const char *m;
        size_t len;
        uint64_t bits = 0;
        if (dump_get_blob(r, &m, &len) < 0 || len > UINT32_MAX) goto bad;
        for (int b = 0; b < 8; b++) {
            uint8_t v;
            if (dump_get_u8(r, &v) < 0) goto bad;
            bits |= (uint64_t)v << (8 * b);
        }
        double score;
        memcpy(&score, &bits, 8);
        if (isnan(score) || sl_find(sl, m, len)) goto bad;
        sl_insert(sl, score, m, len);
    }
    return zs_new_from_skiplist(key, klen, sl);
bad:
    sl_free(sl);
    return NULL;
}

static const dump_type_ops zset_dump_ops = {.encode = zset_dump_encode,
                                            .decode = zset_dump_decode};

void zset_register(void) {
    kv_register_type(TYPE_ZSET, &zset_type_ops);
    dump_register_type(TYPE_ZSET, &zset_dump_ops);
    command_register(zset_commands);
}
