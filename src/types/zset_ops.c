/*
 * zset_ops.c - the sorted set commands, over the representation API of
 * zset_int.h (zset.c). Replies, errors and keyspace events follow Redis
 * 7.0: WITHSCORES pairs are nested arrays under RESP3 and flat under RESP2,
 * scores are doubles under RESP3 and bulk strings under RESP2.
 *
 * Invariants:
 *  1. A write that empties a key deletes it and raises "del" after the
 *     command's own event.
 *  2. Every key written gets one key_modified(); keys that gain members
 *     are signalled ready for blocked BZPOP* / BZMPOP clients.
 *  3. A kv pointer is not used after db_add/db_set/db_delete on any key.
 *
 * Called by: the dispatcher, through zset_commands (registered by zset.c).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/glob.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "persist/effects.h"
#include "proto/resp.h"
#include "server/blocking.h"
#include "server/config.h"
#include "types/scan.h"
#include "types/set.h"
#include "types/zset_int.h"

/* ------------------------------------------------------------------------ */
/* Reply and write helpers                                                   */
/* ------------------------------------------------------------------------ */

/* One member of a reply that may carry scores. */
static void emit(client *c, const char *m, size_t len, double score, int withscores) {
    if (withscores && c->resp == 3) reply_array(c, 2);
    reply_bulk(c, m, len);
    if (withscores) reply_double(c, score);
}

/* The count to announce for n members. */
static long emit_count(client *c, long n, int withscores) {
    return withscores && c->resp == 2 ? n * 2 : n;
}

static void written(client *c, const resp_arg *key, const char *event) {
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_ZSET, event, c->db, key->ptr, key->len);
}

/* Deletes the key if the last member went; call after the event. */
static void drop_if_empty(client *c, const resp_arg *key, kv *e) {
    if (zs_len(e) == 0) {
        db_delete(c->db, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
    }
}

static kv *lookup_zset_read(client *c, const resp_arg *key, int *wrong) {
    return lookup_read_type(c, key, TYPE_ZSET, wrong);
}

static kv *lookup_zset_write(client *c, const resp_arg *key, int *wrong) {
    return lookup_write_type(c, key, TYPE_ZSET, wrong);
}

static int numconv_str2d_arg(const resp_arg *a, double *d) {
    return numconv_str2d(a->ptr, a->len, d);
}

/* Redis's zslParseRange bound: "(" for exclusive, then strtod over the
 * whole text, NaN refused. */
static int parse_score_bound(const resp_arg *a, double *v, int *ex) {
    const char *s = a->ptr;
    size_t len = a->len;
    *ex = 0;
    if (len && s[0] == '(') {
        *ex = 1;
        s++;
        len--;
    }
    char stack[128], *buf = len < sizeof stack ? stack : mem_alloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    int ok = len > 0 && *end == '\0' && !isnan(*v);
    if (buf != stack) mem_free(buf);
    return ok ? 0 : -1;
}

static int parse_range(const resp_arg *min, const resp_arg *max, sl_range *r) {
    if (parse_score_bound(min, &r->min, &r->minex) < 0) return -1;
    return parse_score_bound(max, &r->max, &r->maxex);
}

static int parse_lex_bound(const resp_arg *a, const char **p, size_t *len, int *ex, int *inf) {
    *inf = 0;
    *ex = 0;
    if (a->len == 0) return -1;
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len != 1) return -1;
        *inf = a->ptr[0] == '+' ? 1 : -1;
        *p = NULL;
        *len = 0;
        return 0;
    case '(':
    case '[':
        *ex = a->ptr[0] == '(';
        *p = a->ptr + 1;
        *len = a->len - 1;
        return 0;
    default:
        return -1;
    }
}

static int parse_lex(const resp_arg *min, const resp_arg *max, sl_lexrange *r) {
    if (parse_lex_bound(min, &r->min, &r->minlen, &r->minex, &r->mininf) < 0) return -1;
    return parse_lex_bound(max, &r->max, &r->maxlen, &r->maxex, &r->maxinf);
}

/* ------------------------------------------------------------------------ */
/* ZADD ZINCRBY ZREM                                                         */
/* ------------------------------------------------------------------------ */

static void zadd_generic(client *c, int in) {
    int ch = 0, i = 2;
    for (; i < c->argc; i++) {
        const resp_arg *a = &c->argv[i];
        if (arg_is(a, "nx")) in |= ZS_NX;
        else if (arg_is(a, "xx")) in |= ZS_XX;
        else if (arg_is(a, "ch")) ch = 1;
        else if (arg_is(a, "incr")) in |= ZS_INCR;
        else if (arg_is(a, "gt")) in |= ZS_GT;
        else if (arg_is(a, "lt")) in |= ZS_LT;
        else break;
    }
    int pairs = c->argc - i;
    if (pairs % 2 || pairs == 0) {
        reply_error_syntax(c);
        return;
    }
    pairs /= 2;
    if ((in & ZS_NX) && (in & ZS_XX)) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((in & ZS_GT) && (in & (ZS_NX | ZS_LT))) || ((in & ZS_LT) && (in & ZS_NX))) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((in & ZS_INCR) && pairs > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    /* Every score is checked before anything changes. */
    for (int j = 0; j < pairs; j++) {
        double d;
        if (!numconv_str2d_arg(&c->argv[i + 2 * j], &d)) {
            reply_error_not_float(c);
            return;
        }
    }
    const resp_arg *key = &c->argv[1];
    int wrong;
    kv *e = lookup_zset_write(c, key, &wrong);
    if (wrong) return;
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (!e) {
        if (in & ZS_XX) goto reply;
        e = zs_new_empty(key->ptr, key->len, c->argv[i + 1].len);
        db_add(c->db, e);
    }
    for (int j = 0; j < pairs; j++) {
        double d;
        numconv_str2d_arg(&c->argv[i + 2 * j], &d);
        const resp_arg *m = &c->argv[i + 2 * j + 1];
        int out;
        if (!zs_add(e, d, m->ptr, m->len, in, &out, &score)) {
            reply_error(c, "ERR resulting score is not a number (NaN)");
            drop_if_empty(c, key, e);
            return;
        }
        if (out & ZS_OUT_ADDED) added++;
        if (out & ZS_OUT_UPDATED) updated++;
        if (!(out & ZS_OUT_NOP)) processed++;
    }
    if (added + updated) {
        written(c, key, (in & ZS_INCR) ? "zincr" : "zadd");
        if (added) signal_key_ready(c->db, key->ptr, key->len);
    } else if (zs_len(e) == 0) {
        db_delete(c->db, key->ptr, key->len);
    }
reply:
    if (in & ZS_INCR) {
        if (processed)
            reply_double(c, score);
        else
            reply_null(c);
    } else {
        reply_int(c, ch ? added + updated : added);
    }
}

static void zadd_command(client *c) {
    zadd_generic(c, 0);
}

static void zincrby_command(client *c) {
    /* ZINCRBY key increment member is ZADD key INCR increment member. */
    double d;
    if (!numconv_str2d_arg(&c->argv[2], &d)) {
        reply_error_not_float(c);
        return;
    }
    const resp_arg *key = &c->argv[1];
    int wrong;
    kv *e = lookup_zset_write(c, key, &wrong);
    if (wrong) return;
    if (!e) {
        e = zs_new_empty(key->ptr, key->len, c->argv[3].len);
        db_add(c->db, e);
    }
    int out;
    double score = 0;
    if (!zs_add(e, d, c->argv[3].ptr, c->argv[3].len, ZS_INCR, &out, &score)) {
        reply_error(c, "ERR resulting score is not a number (NaN)");
        drop_if_empty(c, key, e);
        return;
    }
    written(c, key, "zincr");
    if (out & ZS_OUT_ADDED) signal_key_ready(c->db, key->ptr, key->len);
    reply_double(c, score);
}

static void zrem_command(client *c) {
    int wrong;
    kv *e = lookup_zset_write(c, &c->argv[1], &wrong);
    if (wrong) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    long long n = 0;
    for (int i = 2; i < c->argc && zs_len(e); i++) n += zs_del(e, c->argv[i].ptr, c->argv[i].len);
    if (n) {
        written(c, &c->argv[1], "zrem");
        drop_if_empty(c, &c->argv[1], e);
    }
    reply_int(c, n);
}

/* ------------------------------------------------------------------------ */
/* Point reads                                                               */
/* ------------------------------------------------------------------------ */

static void zcard_command(client *c) {
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    reply_int(c, e ? (long long)zs_len(e) : 0);
}

static void zscore_command(client *c) {
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    double s;
    if (e && zs_score(e, c->argv[2].ptr, c->argv[2].len, &s))
        reply_double(c, s);
    else
        reply_null(c);
}

static void zmscore_command(client *c) {
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        double s;
        if (e && zs_score(e, c->argv[i].ptr, c->argv[i].len, &s))
            reply_double(c, s);
        else
            reply_null(c);
    }
}

static void zrank_generic(client *c, int rev) {
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    long r = e ? zs_rank(e, c->argv[2].ptr, c->argv[2].len, rev) : -1;
    if (r < 0)
        reply_null(c);
    else
        reply_int(c, r);
}

static void zrank_command(client *c) {
    zrank_generic(c, 0);
}
static void zrevrank_command(client *c) {
    zrank_generic(c, 1);
}

static void zcount_command(client *c) {
    sl_range r;
    if (parse_range(&c->argv[2], &c->argv[3], &r) < 0) {
        reply_error(c, "ERR min or max is not a float");
        return;
    }
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    long long n = 0;
    zit it;
    if (e && e->enc == ENC_SKIPLIST) {
        skiplist *sl = kv_ptr(e);
        sl_node *f = sl_first_in_range(sl, &r), *l = sl_last_in_range(sl, &r);
        if (f && l) n = (long long)(sl_rank(sl, l) - sl_rank(sl, f) + 1);
    } else if (e) {
        for (int ok = zit_seek_score(&it, e, &r, 0); ok && sl_score_lte_max(it.score, &r);
             ok = zit_next(&it))
            n++;
    }
    reply_int(c, n);
}

static void zlexcount_command(client *c) {
    sl_lexrange r;
    if (parse_lex(&c->argv[2], &c->argv[3], &r) < 0) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    long long n = 0;
    zit it;
    if (e && e->enc == ENC_SKIPLIST) {
        skiplist *sl = kv_ptr(e);
        sl_node *f = sl_first_in_lex(sl, &r), *l = sl_last_in_lex(sl, &r);
        if (f && l) n = (long long)(sl_rank(sl, l) - sl_rank(sl, f) + 1);
    } else if (e) {
        for (int ok = zit_seek_lex(&it, e, &r, 0); ok && sl_lex_lte_max(it.m, it.mlen, &r);
             ok = zit_next(&it))
            n++;
    }
    reply_int(c, n);
}

/* ------------------------------------------------------------------------ */
/* ZRANGE and its variants                                                   */
/* ------------------------------------------------------------------------ */

enum { RANGE_AUTO, RANGE_RANK, RANGE_SCORE, RANGE_LEX };

/* Where range results go: the client, or a skiplist for ZRANGESTORE. */
typedef struct zsink {
    client *c;
    int withscores;
    long n;
    skiplist *store;
} zsink;

static void sink_put(zsink *s, const char *m, size_t len, double score) {
    if (s->store)
        sl_insert(s->store, score, m, len);
    else
        emit(s->c, m, len, score, s->withscores);
    s->n++;
}

static void range_rank(zsink *s, kv *e, long long start, long long end, int rev) {
    long long llen = (long long)zs_len(e);
    if (!rank_range(&start, &end, llen)) return;
    long long n = end - start + 1;
    zit it;
    int ok = zit_seek(&it, e, (size_t)(rev ? llen - 1 - start : start));
    for (; ok && n > 0; n--) {
        sink_put(s, it.m, it.mlen, it.score);
        ok = rev ? zit_prev(&it) : zit_next(&it);
    }
}

static void range_score(zsink *s, kv *e, const sl_range *r, int rev, long long off, long long lim) {
    zit it;
    int ok = zit_seek_score(&it, e, r, rev);
    while (ok && off-- > 0) ok = rev ? zit_prev(&it) : zit_next(&it);
    for (; ok && lim != 0; lim--) {
        if (rev ? !sl_score_gte_min(it.score, r) : !sl_score_lte_max(it.score, r)) break;
        sink_put(s, it.m, it.mlen, it.score);
        ok = rev ? zit_prev(&it) : zit_next(&it);
    }
}

static void range_lex(zsink *s, kv *e, const sl_lexrange *r, int rev, long long off,
                      long long lim) {
    zit it;
    int ok = zit_seek_lex(&it, e, r, rev);
    while (ok && off-- > 0) ok = rev ? zit_prev(&it) : zit_next(&it);
    for (; ok && lim != 0; lim--) {
        if (rev ? !sl_lex_gte_min(it.m, it.mlen, r) : !sl_lex_lte_max(it.m, it.mlen, r)) break;
        sink_put(s, it.m, it.mlen, it.score);
        ok = rev ? zit_prev(&it) : zit_next(&it);
    }
}

/* Redis's zrangeGenericCommand. argv[first] is the source key, then min
 * and max; dst is the destination of ZRANGESTORE or NULL. */
static void zrange_generic(client *c, int first, const resp_arg *dst, int type, int dir) {
    int withscores = 0, dir_default = dir < 0;
    long long off = 0, lim = -1;
    int have_limit = 0;
    for (int j = first + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const resp_arg *a = &c->argv[j];
        if (!dst && arg_is(a, "withscores")) {
            withscores = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (arg_ll(c, &c->argv[j + 1], &off) < 0 || arg_ll(c, &c->argv[j + 2], &lim) < 0)
                return;
            have_limit = 1;
            j += 2;
        } else if (dir_default && arg_is(a, "rev")) {
            dir = 1;
        } else if (type == RANGE_AUTO && arg_is(a, "bylex")) {
            type = RANGE_LEX;
        } else if (type == RANGE_AUTO && arg_is(a, "byscore")) {
            type = RANGE_SCORE;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (dir < 0) dir = 0;
    if (type == RANGE_AUTO) type = RANGE_RANK;
    if (have_limit && lim != -1 && type == RANGE_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either "
                       "BYSCORE or BYLEX");
        return;
    }
    if (withscores && type == RANGE_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    const resp_arg *minarg = &c->argv[first + 1], *maxarg = &c->argv[first + 2];
    if (dir && type != RANGE_RANK) {
        const resp_arg *t = minarg;
        minarg = maxarg;
        maxarg = t;
    }
    long long start = 0, end = 0;
    sl_range r;
    sl_lexrange lr;
    if (type == RANGE_RANK) {
        if (arg_ll(c, minarg, &start) < 0 || arg_ll(c, maxarg, &end) < 0) return;
    } else if (type == RANGE_SCORE) {
        if (parse_range(minarg, maxarg, &r) < 0) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
    } else if (parse_lex(minarg, maxarg, &lr) < 0) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[first], &wrong);
    if (wrong) return;
    zsink s = {.c = c, .withscores = withscores, .n = 0, .store = NULL};
    reply_deferred d = {0};
    if (dst) {
        s.store = sl_new();
    } else if (!e) {
        reply_empty_array(c);
        return;
    } else {
        d = reply_defer(c);
    }
    if (e) {
        if (type == RANGE_RANK)
            range_rank(&s, e, start, end, dir);
        else if (off >= 0 && type == RANGE_SCORE)
            range_score(&s, e, &r, dir, off, lim);
        else if (off >= 0)
            range_lex(&s, e, &lr, dir, off, lim);
    }
    if (!dst) {
        reply_defer_array(c, d, emit_count(c, s.n, withscores));
        return;
    }
    if (s.n) {
        kv *ne = zs_new_from_skiplist(dst->ptr, dst->len, s.store);
        db_set(c->db, ne, 0);
        written(c, dst, "zrangestore");
        signal_key_ready(c->db, dst->ptr, dst->len);
    } else {
        sl_free(s.store);
        if (db_delete(c->db, dst->ptr, dst->len)) {
            key_modified(c, dst->ptr, dst->len);
            db_notify(NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
        }
    }
    reply_int(c, s.n);
}

static void zrange_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_AUTO, -1);
}
static void zrangestore_command(client *c) {
    zrange_generic(c, 2, &c->argv[1], RANGE_AUTO, -1);
}
static void zrevrange_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_RANK, 1);
}
static void zrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_SCORE, 0);
}
static void zrevrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_SCORE, 1);
}
static void zrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_LEX, 0);
}
static void zrevrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, RANGE_LEX, 1);
}

/* ------------------------------------------------------------------------ */
/* ZREMRANGEBY*                                                              */
/* ------------------------------------------------------------------------ */

static void zremrange_generic(client *c, int type) {
    long long start = 0, end = 0;
    sl_range r;
    sl_lexrange lr;
    if (type == RANGE_RANK) {
        if (arg_ll(c, &c->argv[2], &start) < 0 || arg_ll(c, &c->argv[3], &end) < 0) return;
    } else if (type == RANGE_SCORE) {
        if (parse_range(&c->argv[2], &c->argv[3], &r) < 0) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
    } else if (parse_lex(&c->argv[2], &c->argv[3], &lr) < 0) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    int wrong;
    kv *e = lookup_zset_write(c, &c->argv[1], &wrong);
    if (wrong) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    /* Gather the members first, then remove them: both encodings move
     * under removal. */
    zsink s = {.c = c, .withscores = 0, .n = 0, .store = sl_new()};
    if (type == RANGE_RANK)
        range_rank(&s, e, start, end, 0);
    else if (type == RANGE_SCORE)
        range_score(&s, e, &r, 0, 0, -1);
    else
        range_lex(&s, e, &lr, 0, 0, -1);
    for (sl_node *n = sl_first(s.store); n; n = sl_next(n)) zs_del(e, sl_member(n), n->len);
    sl_free(s.store);
    if (s.n) {
        written(c, &c->argv[1],
                type == RANGE_RANK    ? "zremrangebyrank"
                : type == RANGE_SCORE ? "zremrangebyscore"
                                      : "zremrangebylex");
        drop_if_empty(c, &c->argv[1], e);
    }
    reply_int(c, s.n);
}

static void zremrangebyrank_command(client *c) {
    zremrange_generic(c, RANGE_RANK);
}
static void zremrangebyscore_command(client *c) {
    zremrange_generic(c, RANGE_SCORE);
}
static void zremrangebylex_command(client *c) {
    zremrange_generic(c, RANGE_LEX);
}

/* ------------------------------------------------------------------------ */
/* Pops (ZPOPMIN/MAX, BZPOPMIN/MAX, ZMPOP, BZMPOP)                          */
/* ------------------------------------------------------------------------ */

/* Pops up to count members of e (a live zset) from one end, replying them
 * as pairs; count < 0 means the single-member reply shape. */
static void pop_from(client *c, const resp_arg *key, kv *e, long long count, int max, int shape) {
    long long n = (long long)zs_len(e);
    int single = count < 0;
    if (single) count = 1;
    if (count > n) count = n;
    /* shape 0: ZPOPMIN; 1: BZPOPMIN (key, member, score); 2: ZMPOP (key, pairs). */
    if (shape == 1) {
        reply_array(c, 3);
        reply_bulk(c, key->ptr, key->len);
    } else if (shape == 2) {
        reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        reply_array(c, count);
    } else if (single) {
        reply_array(c, 2);
    } else {
        reply_array(c, emit_count(c, count, 1));
    }
    for (long long i = 0; i < count; i++) {
        zit it;
        zit_seek(&it, e, max ? zs_len(e) - 1 : 0);
        if (shape == 2) reply_array(c, 2);
        if (shape == 0 && !single)
            emit(c, it.m, it.mlen, it.score, 1);
        else {
            reply_bulk(c, it.m, it.mlen);
            reply_double(c, it.score);
        }
        /* Copy: the member's bytes go away with it. */
        char stack[64];
        size_t len = it.mlen;
        char *m = len <= sizeof stack ? stack : mem_alloc(len);
        memcpy(m, it.m, len);
        zs_del(e, m, len);
        if (m != stack) mem_free(m);
    }
    written(c, key, max ? "zpopmax" : "zpopmin");
    drop_if_empty(c, key, e);
}

static void zpop_generic(client *c, int max) {
    long long count = -1;
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    if (c->argc == 3) {
        if (arg_ll(c, &c->argv[2], &count) < 0) return;
        if (count < 0) {
            reply_error(c, "ERR value is out of range, must be positive");
            return;
        }
    }
    int wrong;
    kv *e = lookup_zset_write(c, &c->argv[1], &wrong);
    if (wrong) return;
    if (!e || count == 0) {
        reply_empty_array(c);
        return;
    }
    pop_from(c, &c->argv[1], e, count, max, 0);
}

static void zpopmin_command(client *c) {
    zpop_generic(c, 0);
}
static void zpopmax_command(client *c) {
    zpop_generic(c, 1);
}

/* The key served is settled now, and a blocking form must not wait on
 * replay: the log gets ZPOPMIN/ZPOPMAX key (with the count of ZMPOP forms). */
static void log_pop_effect(client *c, const resp_arg *key, long long count, int max) {
    effect e;
    effect_start(&e, max ? "ZPOPMAX" : "ZPOPMIN");
    effect_add_arg(&e, key);
    if (count >= 0) effect_add_ll(&e, count);
    effect_log(&e, c->dbid);
}

/* Serves the first non-empty key; 1 if it replied (served or error). */
static int pop_first(client *c, const resp_arg *keys, int n, long long count, int max, int shape) {
    for (int i = 0; i < n; i++) {
        int wrong;
        kv *e = lookup_zset_write(c, &keys[i], &wrong);
        if (wrong) return 1;
        if (e) {
            log_pop_effect(c, &keys[i], count, max);
            pop_from(c, &keys[i], e, count, max, shape);
            return 1;
        }
    }
    return 0;
}

static void bzpop_generic(client *c, int max) {
    long long deadline;
    if (block_parse_timeout(c, &c->argv[c->argc - 1], &deadline) < 0) return;
    const resp_arg *keys = &c->argv[1];
    int n = c->argc - 2;
    if (pop_first(c, keys, n, -1, max, 1)) return;
    if (!block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_on_keys(c, keys, n, TYPE_ZSET, deadline, BLOCK_REPLY_NULL_ARRAY);
}

static void bzpopmin_command(client *c) {
    bzpop_generic(c, 0);
}
static void bzpopmax_command(client *c) {
    bzpop_generic(c, 1);
}

/* ZMPOP numkeys key... MIN|MAX [COUNT n], from argv[first] (numkeys). */
static void zmpop_generic(client *c, int first, int blocking) {
    long long deadline = 0, numkeys, count = 1;
    if (blocking && block_parse_timeout(c, &c->argv[1], &deadline) < 0) return;
    if (arg_ll(c, &c->argv[first], &numkeys) < 0) return;
    if (numkeys <= 0 || numkeys > c->argc - first - 1) {
        reply_error(c, numkeys <= 0 ? "ERR numkeys should be greater than 0"
                                    : "ERR syntax error");
        return;
    }
    int where = first + 1 + (int)numkeys, max;
    if (where >= c->argc) {
        reply_error_syntax(c);
        return;
    }
    if (arg_is(&c->argv[where], "min")) max = 0;
    else if (arg_is(&c->argv[where], "max")) max = 1;
    else {
        reply_error_syntax(c);
        return;
    }
    int have_count = 0;
    for (int j = where + 1; j < c->argc; j++) {
        if (!have_count && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_ll(c, &c->argv[j + 1], &count) < 0) return;
            if (count <= 0) {
                reply_error(c, "ERR count should be greater than 0");
                return;
            }
            have_count = 1;
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    const resp_arg *keys = &c->argv[first + 1];
    if (pop_first(c, keys, (int)numkeys, count, max, 2)) return;
    if (!blocking || !block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_on_keys(c, keys, (int)numkeys, TYPE_ZSET, deadline, BLOCK_REPLY_NULL_ARRAY);
}

static void zmpop_command(client *c) {
    zmpop_generic(c, 1, 0);
}
static void bzmpop_command(client *c) {
    zmpop_generic(c, 2, 1);
}

/* ------------------------------------------------------------------------ */
/* ZRANDMEMBER                                                               */
/* ------------------------------------------------------------------------ */

static unsigned long long rand_below(unsigned long long n) {
    unsigned long long r = ((unsigned long long)random() << 31) ^ (unsigned long long)random();
    return r % n;
}

static void zrandmember_command(client *c) {
    long long count = 0;
    int withscores = 0, have_count = c->argc >= 3;
    if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withscores"))) {
        reply_error_syntax(c);
        return;
    }
    withscores = c->argc == 4;
    if (have_count) {
        if (arg_ll_range(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &count,
                         "ERR value is out of range, value must between "
                         "-9223372036854775807 and 9223372036854775807") < 0)
            return;
        if (withscores && count < -LLONG_MAX / 2) {
            reply_error(c, "ERR value is out of range");
            return;
        }
    }
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    if (!have_count) {
        zit it;
        if (!e)
            reply_null(c);
        else if (zit_seek(&it, e, rand_below(zs_len(e))))
            reply_bulk(c, it.m, it.mlen);
        return;
    }
    if (!e || count == 0) {
        reply_empty_array(c);
        return;
    }
    size_t size = zs_len(e);
    zit it;
    if (count < 0) {
        long long n = -count;
        reply_array(c, emit_count(c, n, withscores));
        for (long long i = 0; i < n; i++) {
            zit_seek(&it, e, rand_below(size));
            emit(c, it.m, it.mlen, it.score, withscores);
        }
        return;
    }
    if ((unsigned long long)count >= size) {
        reply_array(c, emit_count(c, (long)size, withscores));
        for (int ok = zit_seek(&it, e, 0); ok; ok = zit_next(&it))
            emit(c, it.m, it.mlen, it.score, withscores);
        return;
    }
    /* Distinct ranks: a partial shuffle of all ranks. */
    size_t *idx = mem_alloc(size * sizeof *idx);
    for (size_t i = 0; i < size; i++) idx[i] = i;
    reply_array(c, emit_count(c, count, withscores));
    for (long long i = 0; i < count; i++) {
        size_t j = (size_t)i + (size_t)rand_below(size - (size_t)i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        zit_seek(&it, e, idx[i]);
        emit(c, it.m, it.mlen, it.score, withscores);
    }
    mem_free(idx);
}

/* ------------------------------------------------------------------------ */
/* ZUNION ZINTER ZDIFF (+STORE), ZINTERCARD                                  */
/* ------------------------------------------------------------------------ */

enum { OP_UNION, OP_INTER, OP_DIFF, OP_CARD };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* Combines the score so far (cur) with the next input's (val). On a tie
 * MIN and MAX keep cur, as Redis does: it decides the sign of a zero. */
static double aggregate(double cur, double val, int agg) {
    if (agg == AGG_MIN) return val < cur ? val : cur;
    if (agg == AGG_MAX) return val > cur ? val : cur;
    double r = cur + val;
    return isnan(r) ? 0 : r; /* inf + -inf */
}

typedef struct zsrc {
    kv *e;
    double weight;
    int temp; /* e is a scratch zset made from a set input: freed at the end */
} zsrc;

static void add_set_member(const char *s, size_t len, void *arg) {
    sl_insert(arg, 1.0, s, len);
}

static int cmp_src_size(const void *a, const void *b) {
    const zsrc *x = a, *y = b;
    size_t sx = x->e ? zs_len(x->e) : 0, sy = y->e ? zs_len(y->e) : 0;
    return sx < sy ? -1 : sx > sy;
}

/* argv[first] is numkeys; dst is the STORE destination or NULL. */
static void zsetop_generic(client *c, int first, const resp_arg *dst, int op) {
    long long numkeys;
    if (arg_ll(c, &c->argv[first], &numkeys) < 0) return;
    if (numkeys < 1) {
        if (op == OP_CARD)
            reply_error(c, "ERR numkeys should be greater than 0");
        else
            reply_errorf(c, "ERR at least 1 input key is needed for '%s' command",
                         c->cmd->name);
        return;
    }
    if (numkeys > c->argc - first - 1) {
        reply_error_syntax(c);
        return;
    }
    int n = (int)numkeys, agg = AGG_SUM, withscores = 0;
    long long limit = 0;
    zsrc *src = mem_calloc((size_t)n * sizeof *src);
    for (int i = 0; i < n; i++) src[i].weight = 1;
    for (int j = first + 1 + n; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const resp_arg *a = &c->argv[j];
        if (op == OP_CARD && arg_is(a, "limit") && left >= 1) {
            if (arg_ll(c, &c->argv[j + 1], &limit) < 0) goto done;
            if (limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                goto done;
            }
            j++;
        } else if ((op == OP_UNION || op == OP_INTER) && arg_is(a, "weights") && left >= n) {
            for (int i = 0; i < n; i++) {
                if (!numconv_str2d_arg(&c->argv[j + 1 + i], &src[i].weight)) {
                    reply_error(c, "ERR weight value is not a float");
                    goto done;
                }
            }
            j += n;
        } else if ((op == OP_UNION || op == OP_INTER) && arg_is(a, "aggregate") && left >= 1) {
            const resp_arg *v = &c->argv[j + 1];
            if (arg_is(v, "sum")) agg = AGG_SUM;
            else if (arg_is(v, "min")) agg = AGG_MIN;
            else if (arg_is(v, "max")) agg = AGG_MAX;
            else {
                reply_error_syntax(c);
                goto done;
            }
            j++;
        } else if (!dst && op != OP_CARD && arg_is(a, "withscores")) {
            withscores = 1;
        } else {
            reply_error_syntax(c);
            goto done;
        }
    }
    for (int i = 0; i < n; i++) {
        kv *e = lookup_read(c, &c->argv[first + 1 + i]);
        if (e && e->type == TYPE_SET) {
            /* A plain set takes part with every member scored 1, as in Redis. */
            skiplist *sl = sl_new();
            set_foreach(e, add_set_member, sl);
            src[i].e = zs_new_from_skiplist("", 0, sl);
            src[i].temp = 1;
        } else if (e && e->type != TYPE_ZSET) {
            reply_error_wrongtype(c);
            goto done;
        } else {
            src[i].e = e;
        }
    }
    skiplist *acc = sl_new();
    long long card = 0;
    zit it;
    if (op == OP_UNION) {
        for (int i = 0; i < n; i++) {
            if (!src[i].e) continue;
            for (int ok = zit_seek(&it, src[i].e, 0); ok; ok = zit_next(&it)) {
                double s = it.score * src[i].weight;
                if (isnan(s)) s = 0;
                sl_node *x = sl_find(acc, it.m, it.mlen);
                if (x)
                    sl_update_score(acc, x, aggregate(x->score, s, agg));
                else
                    sl_insert(acc, s, it.m, it.mlen);
            }
        }
    } else if (op == OP_INTER || op == OP_CARD) {
        qsort(src, (size_t)n, sizeof *src, cmp_src_size);
        if (src[0].e) {
            for (int ok = zit_seek(&it, src[0].e, 0); ok; ok = zit_next(&it)) {
                double s = it.score * src[0].weight;
                if (isnan(s)) s = 0;
                int i = 1;
                for (; i < n; i++) {
                    double o;
                    if (!src[i].e || !zs_score(src[i].e, it.m, it.mlen, &o)) break;
                    if (op == OP_INTER) {
                        o *= src[i].weight;
                        if (isnan(o)) o = 0;
                        s = aggregate(s, o, agg);
                    }
                }
                if (i < n) continue;
                if (op == OP_CARD) {
                    card++;
                    if (limit && card >= limit) break;
                } else {
                    sl_insert(acc, s, it.m, it.mlen);
                }
            }
        }
    } else if (src[0].e) {
        for (int ok = zit_seek(&it, src[0].e, 0); ok; ok = zit_next(&it)) {
            int i = 1;
            double o;
            for (; i < n; i++)
                if (src[i].e && zs_score(src[i].e, it.m, it.mlen, &o)) break;
            if (i == n) sl_insert(acc, it.score, it.m, it.mlen);
        }
    }
    if (op == OP_CARD) {
        sl_free(acc);
        reply_int(c, card);
    } else if (!dst) {
        reply_array(c, emit_count(c, (long)acc->length, withscores));
        for (sl_node *x = sl_first(acc); x; x = sl_next(x))
            emit(c, sl_member(x), x->len, x->score, withscores);
        sl_free(acc);
    } else {
        long long len = (long long)acc->length;
        if (len) {
            db_set(c->db, zs_new_from_skiplist(dst->ptr, dst->len, acc), 0);
            written(c, dst, op == OP_UNION ? "zunionstore"
                            : op == OP_INTER ? "zinterstore"
                                             : "zdiffstore");
            signal_key_ready(c->db, dst->ptr, dst->len);
        } else {
            sl_free(acc);
            if (db_delete(c->db, dst->ptr, dst->len)) {
                key_modified(c, dst->ptr, dst->len);
                db_notify(NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
            }
        }
        reply_int(c, len);
    }
done:
    for (int i = 0; i < n; i++)
        if (src[i].temp) kv_free(src[i].e);
    mem_free(src);
}

static void zunion_command(client *c) {
    zsetop_generic(c, 1, NULL, OP_UNION);
}
static void zinter_command(client *c) {
    zsetop_generic(c, 1, NULL, OP_INTER);
}
static void zdiff_command(client *c) {
    zsetop_generic(c, 1, NULL, OP_DIFF);
}
static void zunionstore_command(client *c) {
    zsetop_generic(c, 2, &c->argv[1], OP_UNION);
}
static void zinterstore_command(client *c) {
    zsetop_generic(c, 2, &c->argv[1], OP_INTER);
}
static void zdiffstore_command(client *c) {
    zsetop_generic(c, 2, &c->argv[1], OP_DIFF);
}
static void zintercard_command(client *c) {
    zsetop_generic(c, 1, NULL, OP_CARD);
}

/* ------------------------------------------------------------------------ */
/* ZSCAN                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct zscan_ctx {
    client *c;
    const resp_arg *pat;
    long n;
} zscan_ctx;

static void zscan_put(zscan_ctx *s, const char *m, size_t len, double score) {
    if (s->pat && !glob_match(s->pat->ptr, s->pat->len, m, len, 0)) return;
    char buf[32];
    reply_bulk(s->c, m, len);
    reply_bulk(s->c, buf, resp_d2str(buf, score));
    s->n += 2;
}

typedef struct zgather {
    sl_node **nodes;
    size_t n, cap;
} zgather;

static void zscan_gather(dict_node *dn, void *arg) {
    zgather *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->nodes = mem_realloc(g->nodes, g->cap * sizeof *g->nodes);
    }
    g->nodes[g->n++] = (sl_node *)dn;
}

static void zscan_command(client *c) {
    uint64_t u = 0;
    if (scan_parse_cursor(c, &c->argv[2], &u) < 0) return;
    unsigned long long cursor = u;
    long long count = 10;
    const resp_arg *pat = NULL;
    if (scan_parse_options(c, 3, &count, &pat) < 0) return;
    int wrong;
    kv *e = lookup_zset_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    reply_array(c, 2);
    zscan_ctx s = {.c = c, .pat = pat, .n = 0};
    if (!e) {
        reply_bulk(c, "0", 1);
        reply_empty_array(c);
        return;
    }
    if (e->enc == ENC_LISTPACK) {
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        zit it;
        for (int ok = zit_seek(&it, e, 0); ok; ok = zit_next(&it))
            zscan_put(&s, it.m, it.mlen, it.score);
        reply_defer_array(c, d, s.n);
        return;
    }
    /* The cursor goes first in the reply: gather the nodes, then reply. */
    skiplist *sl = kv_ptr(e);
    zgather g = {.nodes = NULL, .n = 0, .cap = 0};
    long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(&sl->d, cursor, zscan_gather, &g);
    } while (cursor && budget-- > 0 && g.n < (size_t)count);
    char cb[32];
    int cl = snprintf(cb, sizeof cb, "%llu", cursor);
    reply_bulk(c, cb, (size_t)cl);
    reply_deferred d = reply_defer(c);
    for (size_t i = 0; i < g.n; i++)
        zscan_put(&s, sl_member(g.nodes[i]), g.nodes[i]->len, g.nodes[i]->score);
    reply_defer_array(c, d, s.n);
    mem_free(g.nodes);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

/* numkeys at argv[first], keys after it; dst (if any) at argv[1]. */
static int keys_numkeys(int argc, const resp_arg *argv, int *keys, int max, int first, int dst) {
    long long n;
    if (first >= argc || !numconv_str2ll(argv[first].ptr, argv[first].len, &n) || n < 1 ||
        n > argc - first - 1)
        return -1;
    int k = 0;
    if (dst && k < max) keys[k++] = 1;
    for (long long i = 0; i < n && k < max; i++) keys[k++] = first + 1 + (int)i;
    return k;
}

static int keys_store(int argc, const resp_arg *argv, int *keys, int max) {
    return keys_numkeys(argc, argv, keys, max, 2, 1);
}
static int keys_nostore(int argc, const resp_arg *argv, int *keys, int max) {
    return keys_numkeys(argc, argv, keys, max, 1, 0);
}
static int keys_bzmpop(int argc, const resp_arg *argv, int *keys, int max) {
    return keys_numkeys(argc, argv, keys, max, 2, 0);
}

#define W_FAST (CMD_WRITE | CMD_DENYOOM | CMD_FAST)
#define ZR (ACL_READ | ACL_SORTEDSET)
#define ZW (ACL_WRITE | ACL_SORTEDSET)

#define ZCMD(name_, proc_, arity_, flags_, acl_, first_, last_, step_, since_, cx_, sum_)          \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = first_, .last_key = last_, .key_step = step_, .summary = sum_,                \
        .since = since_, .group = "sorted-set", .complexity = cx_                                  \
    }
#define ZCMDK(name_, proc_, arity_, flags_, acl_, keys_, since_, cx_, sum_)                        \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = 0, .last_key = 0, .key_step = 0, .getkeys = keys_, .summary = sum_,           \
        .since = since_, .group = "sorted-set", .complexity = cx_                                  \
    }

/* The *STORE forms: COMMAND INFO's legacy key range names the destination. */
#define ZCMDK_STORE(name_, proc_, arity_, flags_, acl_, keys_, since_, cx_, sum_)                  \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = 1, .last_key = 1, .key_step = 1, .getkeys = keys_, .summary = sum_,           \
        .since = since_, .group = "sorted-set", .complexity = cx_                                  \
    }

static const char cx_logn[] = "O(log(N)) where N is the number of elements in the sorted set.";
static const char cx_range[] = "O(log(N)+M) with N being the number of elements in the sorted "
                               "set and M the number of elements returned.";
static const char cx_union[] = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input "
                               "sorted sets, and M being the number of elements in the result.";

command zset_commands[] = {
    ZCMD("zadd", zadd_command, -4, W_FAST, ZW | ACL_FAST, 1, 1, 1, "1.2.0", cx_logn,
         "Adds one or more members to a sorted set, or updates their scores."),
    ZCMD("zincrby", zincrby_command, 4, W_FAST, ZW | ACL_FAST, 1, 1, 1, "1.2.0", cx_logn,
         "Increments the score of a member in a sorted set."),
    ZCMD("zrem", zrem_command, -3, CMD_WRITE | CMD_FAST, ZW | ACL_FAST, 1, 1, 1, "1.2.0",
         cx_logn, "Removes one or more members from a sorted set."),
    ZCMD("zcard", zcard_command, 2, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "1.2.0",
         "O(1)", "Returns the number of members in a sorted set."),
    ZCMD("zcount", zcount_command, 4, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "2.0.0",
         cx_logn, "Returns the count of members in a sorted set that have scores within a range."),
    ZCMD("zlexcount", zlexcount_command, 4, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1,
         "2.8.9", cx_logn, "Returns the number of members in a sorted set within a lexicographical "
                           "range."),
    ZCMD("zscore", zscore_command, 3, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "1.2.0",
         "O(1)", "Returns the score of a member in a sorted set."),
    ZCMD("zmscore", zmscore_command, -3, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "6.2.0",
         "O(N) where N is the number of members being requested.",
         "Returns the score of one or more members in a sorted set."),
    ZCMD("zrank", zrank_command, 3, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "2.0.0",
         cx_logn, "Returns the index of a member in a sorted set ordered by ascending scores."),
    ZCMD("zrevrank", zrevrank_command, 3, CMD_READONLY | CMD_FAST, ZR | ACL_FAST, 1, 1, 1, "2.0.0",
         cx_logn, "Returns the index of a member in a sorted set ordered by descending scores."),
    ZCMD("zrange", zrange_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1, "1.2.0", cx_range,
         "Returns members in a sorted set within a range of indexes."),
    ZCMD("zrangestore", zrangestore_command, -5, CMD_WRITE | CMD_DENYOOM, ZW | ACL_SLOW, 1, 2, 1,
         "6.2.0", cx_range, "Stores a range of members from sorted set in a key."),
    ZCMD("zrevrange", zrevrange_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1, "1.2.0",
         cx_range, "Returns members in a sorted set within a range of indexes in reverse order."),
    ZCMD("zrangebyscore", zrangebyscore_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1,
         "1.0.5", cx_range, "Returns members in a sorted set within a range of scores."),
    ZCMD("zrevrangebyscore", zrevrangebyscore_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1,
         "2.2.0", cx_range,
         "Returns members in a sorted set within a range of scores in reverse order."),
    ZCMD("zrangebylex", zrangebylex_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1, "2.8.9",
         cx_range, "Returns members in a sorted set within a lexicographical range."),
    ZCMD("zrevrangebylex", zrevrangebylex_command, -4, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1,
         "2.8.9", cx_range,
         "Returns members in a sorted set within a lexicographical range in reverse order."),
    ZCMD("zremrangebyrank", zremrangebyrank_command, 4, CMD_WRITE, ZW | ACL_SLOW, 1, 1, 1,
         "2.0.0", cx_range, "Removes members in a sorted set within a range of indexes."),
    ZCMD("zremrangebyscore", zremrangebyscore_command, 4, CMD_WRITE, ZW | ACL_SLOW, 1, 1, 1,
         "1.2.0", cx_range, "Removes members in a sorted set within a range of scores."),
    ZCMD("zremrangebylex", zremrangebylex_command, 4, CMD_WRITE, ZW | ACL_SLOW, 1, 1, 1, "2.8.9",
         cx_range, "Removes members in a sorted set within a lexicographical range."),
    ZCMD("zpopmin", zpopmin_command, -2, CMD_WRITE | CMD_FAST, ZW | ACL_FAST, 1, 1, 1, "5.0.0",
         cx_logn, "Returns the lowest-scoring members from a sorted set after removing them."),
    ZCMD("zpopmax", zpopmax_command, -2, CMD_WRITE | CMD_FAST, ZW | ACL_FAST, 1, 1, 1, "5.0.0",
         cx_logn, "Returns the highest-scoring members from a sorted set after removing them."),
    ZCMD("bzpopmin", bzpopmin_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_FAST | CMD_BLOCKING,
         ZW | ACL_FAST | ACL_BLOCKING, 1, -2, 1, "5.0.0", cx_logn,
         "Removes and returns the member with the lowest score from one or more sorted sets. "
         "Blocks until a member is available otherwise."),
    ZCMD("bzpopmax", bzpopmax_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_FAST | CMD_BLOCKING,
         ZW | ACL_FAST | ACL_BLOCKING, 1, -2, 1, "5.0.0", cx_logn,
         "Removes and returns the member with the highest score from one or more sorted sets. "
         "Blocks until a member available otherwise."),
    ZCMDK("zmpop", zmpop_command, -4, CMD_WRITE, ZW | ACL_SLOW, keys_nostore, "7.0.0",
          "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
          "elements in the sorted set, and M being the number of elements popped.",
          "Returns the highest- or lowest-scoring members from one or more sorted sets after "
          "removing them."),
    ZCMDK("bzmpop", bzmpop_command, -5, CMD_WRITE | CMD_BLOCKING, ZW | ACL_SLOW | ACL_BLOCKING,
          keys_bzmpop, "7.0.0",
          "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
          "elements in the sorted set, and M being the number of elements popped.",
          "Removes and returns a member by score from one or more sorted sets. Blocks until a "
          "member is available otherwise."),
    ZCMD("zrandmember", zrandmember_command, -2, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1, "6.2.0",
         "O(N) where N is the number of members returned",
         "Returns one or more random members from a sorted set."),
    ZCMDK("zunion", zunion_command, -3, CMD_READONLY, ZR | ACL_SLOW, keys_nostore, "6.2.0",
          cx_union, "Returns the union of multiple sorted sets."),
    ZCMDK("zinter", zinter_command, -3, CMD_READONLY, ZR | ACL_SLOW, keys_nostore, "6.2.0",
          "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being "
          "the number of input sorted sets and M being the number of elements in the resulting "
          "sorted set.",
          "Returns the intersect of multiple sorted sets."),
    ZCMDK("zdiff", zdiff_command, -3, CMD_READONLY, ZR | ACL_SLOW, keys_nostore, "6.2.0",
          "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "
          "sets, N is the size of the first set, and K is the size of the result set.",
          "Returns the difference between multiple sorted sets."),
    ZCMDK_STORE("zunionstore", zunionstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZW | ACL_SLOW,
          keys_store, "2.0.0", cx_union,
          "Stores the union of multiple sorted sets in a key."),
    ZCMDK_STORE("zinterstore", zinterstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZW | ACL_SLOW,
          keys_store, "2.0.0",
          "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being "
          "the number of input sorted sets and M being the number of elements in the resulting "
          "sorted set.",
          "Stores the intersect of multiple sorted sets in a key."),
    ZCMDK_STORE("zdiffstore", zdiffstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZW | ACL_SLOW,
          keys_store, "6.2.0",
          "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "
          "sets, N is the size of the first set, and K is the size of the result set.",
          "Stores the difference of multiple sorted sets in a key."),
    ZCMDK("zintercard", zintercard_command, -3, CMD_READONLY, ZR | ACL_SLOW, keys_nostore,
          "7.0.0",
          "O(N*K) worst case with N being the smallest input sorted set, K being the number of "
          "input sorted sets.",
          "Returns the number of members of the intersect of multiple sorted sets."),
    ZCMD("zscan", zscan_command, -3, CMD_READONLY, ZR | ACL_SLOW, 1, 1, 1, "2.8.0",
         "O(1) for every call. O(N) for a complete iteration, including enough command calls "
         "for the cursor to return back to 0. N is the number of elements inside the collection.",
         "Iterates over members and scores of a sorted set."),
    {.name = NULL},
};
