/*
 * zset_int.h - the sorted set's internal API, shared by zset.c (the
 * representation) and zset_ops.c (the commands). Not for other modules:
 * they use zset.h.
 */
#ifndef PAIRDB_ZSET_INT_H
#define PAIRDB_ZSET_INT_H

#include <stddef.h>

#include "ds/listpack.h"
#include "ds/skiplist.h"
#include "server/handler.h"
#include "types/zset.h"

/* zs_add input flags and output flags (Redis's ZADD_IN_* / ZADD_OUT_*). */
enum { ZS_NX = 1, ZS_XX = 2, ZS_GT = 4, ZS_LT = 8, ZS_INCR = 16 };
enum { ZS_OUT_NOP = 1, ZS_OUT_NAN = 2, ZS_OUT_ADDED = 4, ZS_OUT_UPDATED = 8 };

size_t zs_len(const kv *e);
int zs_score(const kv *e, const char *m, size_t len, double *score);
/* Adds or updates a member of e in place (may convert e to the skiplist).
 * Returns 0 (with ZS_OUT_NAN) when the score would be NaN. */
int zs_add(kv *e, double score, const char *m, size_t len, int in, int *out, double *newscore);
/* 1 if removed. The caller deletes the key when it becomes empty. */
int zs_del(kv *e, const char *m, size_t len);
/* 0-based rank, -1 when absent. */
long zs_rank(const kv *e, const char *m, size_t len, int rev);
int zs_fits_listpack(size_t count, size_t maxlen);
/* A new entry (not in a database) for a value to be filled with zs_add;
 * its encoding is chosen from the first member's length. */
kv *zs_new_empty(const char *key, size_t klen, size_t first_len);
/* A new entry holding sl's members with the encoding their size calls for. */
kv *zs_new_from_skiplist(const char *key, size_t klen, skiplist *sl_take);
double zs_lp_score(const unsigned char *p);

/* A cursor over either encoding; m/mlen/score describe the current member
 * (m valid until the next move or write). */
typedef struct zit {
    int lp;
    listpack *l;
    unsigned char *p;
    sl_node *n;
    const char *m;
    size_t mlen;
    double score;
    char buf[LP_INTBUF];
} zit;

int zit_seek(zit *it, const kv *e, size_t rank);
int zit_next(zit *it);
int zit_prev(zit *it);
int zit_seek_score(zit *it, const kv *e, const sl_range *r, int rev);
int zit_seek_lex(zit *it, const kv *e, const sl_lexrange *r, int rev);

extern command zset_commands[];

#endif
