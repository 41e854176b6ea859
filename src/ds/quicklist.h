/*
 * quicklist.h - a doubly linked list of listpack nodes: the list type's
 * value ("quicklist" in OBJECT ENCODING, as in Redis 7.0, which uses it
 * for every list whatever its size).
 *
 * Each node holds a listpack of consecutive elements. Node size is bounded
 * by the fill factor taken at creation (Redis's list-max-listpack-size):
 * negative values -1..-5 bound a node's listpack to 4, 8, 16, 32, 64 KB;
 * positive values bound the element count (and the node stays under 8 KB
 * unless a single element is larger). Pushes and pops at either end touch
 * one node; an index lookup walks nodes from the nearer end, so its cost is
 * the number of nodes, not of elements.
 *
 * Invariants:
 *  1. No node is empty: a node whose last element goes is unlinked.
 *  2. ql_count() is the sum of the nodes' element counts.
 *  3. Positions (ql_pos) are valid until the next change of the list,
 *     except those a call hands back.
 *
 * Compression of inner nodes (list-compress-depth) is not implemented: the
 * setting is accepted and has no effect on content or replies.
 *
 * Callers: types/list.c only. Allocation aborts on OOM (mem.h).
 */
#ifndef PAIRDB_QUICKLIST_H
#define PAIRDB_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "ds/listpack.h"

/* A node is three pointers: its element count is the listpack's own. */
typedef struct ql_node {
    struct ql_node *prev, *next;
    listpack *lp;
} ql_node;

/* Kept at three words (every list key pays for it): the element count
 * (low 48 bits) and the fill factor (high 16, signed) share one. */
typedef struct quicklist {
    ql_node *head, *tail;
    uint64_t meta;
} quicklist;

#define QL_COUNT_BITS 48
#define QL_COUNT_MASK ((UINT64_C(1) << QL_COUNT_BITS) - 1)

/* A position: an element inside a node. */
typedef struct ql_pos {
    ql_node *node;
    unsigned char *p;
} ql_pos;

enum { QL_HEAD = 0, QL_TAIL = 1 };

quicklist *ql_new(int fill);
void ql_free(quicklist *ql);
quicklist *ql_dup(const quicklist *ql);
/* Bytes held by the list, its nodes and their listpacks. */
size_t ql_mem_usage(const quicklist *ql);

static inline size_t ql_count(const quicklist *ql) {
    return (size_t)(ql->meta & QL_COUNT_MASK);
}
static inline int ql_fill(const quicklist *ql) {
    return (int)(int16_t)(uint16_t)(ql->meta >> QL_COUNT_BITS);
}
static inline uint32_t ql_node_count(const ql_node *n) {
    return lp_count(n->lp);
}

void ql_push(quicklist *ql, int where, const char *s, size_t len);
/* Text of the element at one end, NULL when empty; an integer element is
 * formatted into buf. Valid until the next change of the list. */
const char *ql_peek(quicklist *ql, int where, size_t *len, char buf[LP_INTBUF]);
/* Removes the element at one end; the list must not be empty. */
void ql_pop(quicklist *ql, int where);

/* Element at index (negative from the tail). 0 and pos untouched if out of range. */
int ql_index(quicklist *ql, long long index, ql_pos *pos);
/* Text of the element at pos (integers formatted into buf). */
const char *ql_get(const ql_pos *pos, size_t *len, char buf[LP_INTBUF]);
/* Moves pos one element towards the tail (dir QL_TAIL) or the head;
 * 0 at the end of the list. */
int ql_step(quicklist *ql, ql_pos *pos, int dir);
/* Replaces the element at pos. pos stays valid on the new element. */
void ql_replace(quicklist *ql, ql_pos *pos, const char *s, size_t len);
/* Inserts before (LP_BEFORE) or after (LP_AFTER) the element at pos.
 * Every position is invalid afterwards. */
void ql_insert(quicklist *ql, const ql_pos *pos, int where, const char *s, size_t len);
/* Deletes the element at pos. pos moves to the next element in direction
 * dir; returns 0 when there is none. */
int ql_delete_at(quicklist *ql, ql_pos *pos, int dir);
/* Deletes count elements starting at index start (0 <= start, clamped). */
void ql_delete_range(quicklist *ql, size_t start, size_t count);

#endif
