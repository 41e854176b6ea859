/*
 * skiplist.h - ordered set of (score, member) pairs with rank, plus a
 * member index: the large encoding of sorted sets ("skiplist").
 *
 * Order is by score, then by member bytes (memcmp, shorter first on a
 * common prefix). Each forward link carries its span, so the rank of a node
 * and the node at a rank are found in O(log n). The member index is a dict
 * embedded in the list: a node is one allocation holding its dict link,
 * score, back link, levels and member bytes.
 *
 * Invariants:
 *  1. Every node is in both the list and the dict; members are unique.
 *  2. No score is NaN (callers reject it before insertion).
 *  3. Ranks are 1-based at this level; rank 0 means "not found".
 *
 * Callers: types/zset.c only.
 */
#ifndef PAIRDB_SKIPLIST_H
#define PAIRDB_SKIPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "ds/dict.h"

#define SL_MAXLEVEL 32

typedef struct sl_node {
    dict_node dn;            /* member index link (first: the dict's node is the node) */
    double score;
    struct sl_node *backward;
    uint32_t len;            /* member length */
    uint8_t level;
    struct sl_level {
        struct sl_node *forward;
        unsigned long span;
    } lv[];                  /* lv[level], then the member bytes */
} sl_node;

typedef struct skiplist {
    sl_node *header, *tail;
    unsigned long length;
    int level;
    dict d;
} skiplist;

/* A score interval; minex/maxex make a bound exclusive. */
typedef struct sl_range {
    double min, max;
    int minex, maxex;
} sl_range;

/* A member interval. inf: 0 for a real bound, -1 for "-", +1 for "+". */
typedef struct sl_lexrange {
    const char *min, *max;
    size_t minlen, maxlen;
    int minex, maxex;
    int mininf, maxinf;
} sl_lexrange;

static inline const char *sl_member(const sl_node *n) {
    return (const char *)&n->lv[n->level];
}

skiplist *sl_new(void);
void sl_free(skiplist *sl);
/* Inserts a member that must be absent; returns its node. */
sl_node *sl_insert(skiplist *sl, double score, const char *m, size_t len);
sl_node *sl_find(skiplist *sl, const char *m, size_t len);
/* Unlinks and frees n. */
void sl_delete_node(skiplist *sl, sl_node *n);
/* 1 if the member was there and is now gone. */
int sl_delete(skiplist *sl, const char *m, size_t len);
/* Moves n to its place for a new score (n stays valid). */
void sl_update_score(skiplist *sl, sl_node *n, double score);
/* 1-based rank of n. */
unsigned long sl_rank(const skiplist *sl, const sl_node *n);
/* Node at 1-based rank, NULL when out of range. */
sl_node *sl_by_rank(const skiplist *sl, unsigned long rank);
static inline sl_node *sl_first(const skiplist *sl) {
    return sl->header->lv[0].forward;
}
static inline sl_node *sl_next(const sl_node *n) {
    return n->lv[0].forward;
}

/* Range tests shared with the compact encoding. */
int sl_score_gte_min(double v, const sl_range *r);
int sl_score_lte_max(double v, const sl_range *r);
int sl_range_empty(const sl_range *r);
int sl_lex_gte_min(const char *m, size_t len, const sl_lexrange *r);
int sl_lex_lte_max(const char *m, size_t len, const sl_lexrange *r);
int sl_lex_empty(const sl_lexrange *r);
/* memcmp order, shorter first on a common prefix. */
int sl_cmp_member(const char *a, size_t alen, const char *b, size_t blen);

/* First/last node inside the range, NULL when none. */
sl_node *sl_first_in_range(const skiplist *sl, const sl_range *r);
sl_node *sl_last_in_range(const skiplist *sl, const sl_range *r);
sl_node *sl_first_in_lex(const skiplist *sl, const sl_lexrange *r);
sl_node *sl_last_in_lex(const skiplist *sl, const sl_lexrange *r);

/* Bytes held (MEMORY USAGE). */
size_t sl_mem_usage(const skiplist *sl);

#endif
