/*
 * quicklist.c - a doubly linked list of listpack nodes (see quicklist.h).
 *
 * The only policy here is where a new element goes: into the node at the
 * right place when that node stays within the fill bound, otherwise into a
 * neighbour with room, otherwise into a new node (splitting the node when
 * the insertion point is in its middle). Nodes are never merged back: a
 * list that shrinks keeps smaller nodes, which costs a little memory but
 * keeps every deletion O(node size).
 */
#include "ds/quicklist.h"

#include "ds/mem.h"

/* Node byte bounds of fill -1..-5, as Redis's list-max-listpack-size. */
static const size_t ql_size_bounds[] = {4096, 8192, 16384, 32768, 65536};
/* With a positive fill a node still stays under this many bytes. */
#define QL_SAFETY_LIMIT 8192
/* Upper bound of an entry's header and back-length, for the fit estimate. */
#define QL_ENTRY_OVERHEAD 11
#define QL_FILL_MAX ((1 << 15) - 1)

quicklist *ql_new(int fill) {
    quicklist *ql = mem_calloc(sizeof(*ql));
    if (fill > QL_FILL_MAX) fill = QL_FILL_MAX;
    if (fill < -5) fill = -5;
    if (fill == 0) fill = 1;
    ql->meta = (uint64_t)(uint16_t)(int16_t)fill << QL_COUNT_BITS;
    return ql;
}

static ql_node *node_new(void) {
    ql_node *n = mem_calloc(sizeof(*n));
    n->lp = lp_new();
    return n;
}

static void node_free(ql_node *n) {
    lp_free(n->lp);
    mem_free(n);
}

void ql_free(quicklist *ql) {
    if (!ql) return;
    ql_node *n = ql->head;
    while (n) {
        ql_node *next = n->next;
        node_free(n);
        n = next;
    }
    mem_free(ql);
}

quicklist *ql_dup(const quicklist *ql) {
    quicklist *d = mem_calloc(sizeof(*d));
    d->meta = ql->meta;
    for (const ql_node *n = ql->head; n; n = n->next) {
        ql_node *m = mem_calloc(sizeof(*m));
        m->lp = lp_dup(n->lp);
        m->prev = d->tail;
        if (d->tail)
            d->tail->next = m;
        else
            d->head = m;
        d->tail = m;
    }
    return d;
}

size_t ql_mem_usage(const quicklist *ql) {
    size_t sum = sizeof(*ql);
    for (const ql_node *n = ql->head; n; n = n->next)
        sum += sizeof(*n) + lp_bytes(n->lp);
    return sum;
}

/* Whether a node can take one more element of len bytes. */
static int node_allows(const quicklist *ql, const ql_node *n, size_t len) {
    if (!n) return 0;
    size_t new_sz = lp_bytes(n->lp) + len + QL_ENTRY_OVERHEAD;
    if (new_sz < len) return 0;
    int fill = ql_fill(ql);
    if (fill < 0) return new_sz <= ql_size_bounds[-fill - 1];
    return new_sz <= QL_SAFETY_LIMIT && ql_node_count(n) < (uint32_t)fill;
}

/* Links n after `after` (NULL: at the head). */
static void link_after(quicklist *ql, ql_node *after, ql_node *n) {
    n->prev = after;
    n->next = after ? after->next : ql->head;
    if (n->next)
        n->next->prev = n;
    else
        ql->tail = n;
    if (after)
        after->next = n;
    else
        ql->head = n;
}

static void unlink_node(quicklist *ql, ql_node *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    node_free(n);
}

void ql_push(quicklist *ql, int where, const char *s, size_t len) {
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!node_allows(ql, n, len)) {
        n = node_new();
        link_after(ql, where == QL_HEAD ? NULL : ql->tail, n);
    }
    n->lp = where == QL_HEAD ? lp_prepend(n->lp, s, len) : lp_append(n->lp, s, len);
    ql->meta++;
}

const char *ql_peek(quicklist *ql, int where, size_t *len, char buf[LP_INTBUF]) {
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!n) return NULL;
    unsigned char *p = where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp);
    return lp_get_str(p, len, buf);
}

void ql_pop(quicklist *ql, int where) {
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!n) return;
    if (ql_node_count(n) == 1) {
        unlink_node(ql, n);
    } else {
        unsigned char *p = where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp);
        n->lp = lp_delete(n->lp, &p);
    }
    ql->meta--;
}

int ql_index(quicklist *ql, long long index, ql_pos *pos) {
    long long cnt = (long long)ql_count(ql);
    if (index < 0) index += cnt;
    if (index < 0 || index >= cnt) return 0;
    ql_node *n;
    long long off;
    if (index < cnt / 2) {
        n = ql->head;
        off = index;
        while (off >= (long long)ql_node_count(n)) {
            off -= ql_node_count(n);
            n = n->next;
        }
    } else {
        /* Count from the tail: off is the distance from the node's end. */
        n = ql->tail;
        off = cnt - 1 - index;
        while (off >= (long long)ql_node_count(n)) {
            off -= ql_node_count(n);
            n = n->prev;
        }
        off = (long long)ql_node_count(n) - 1 - off;
    }
    pos->node = n;
    pos->p = lp_seek(n->lp, (long)off);
    return pos->p != NULL;
}

const char *ql_get(const ql_pos *pos, size_t *len, char buf[LP_INTBUF]) {
    return lp_get_str(pos->p, len, buf);
}

int ql_step(quicklist *ql, ql_pos *pos, int dir) {
    (void)ql;
    ql_node *n = pos->node;
    unsigned char *p = dir == QL_TAIL ? lp_next(n->lp, pos->p) : lp_prev(n->lp, pos->p);
    while (!p) {
        n = dir == QL_TAIL ? n->next : n->prev;
        if (!n) return 0;
        p = dir == QL_TAIL ? lp_first(n->lp) : lp_last(n->lp);
    }
    pos->node = n;
    pos->p = p;
    return 1;
}

void ql_replace(quicklist *ql, ql_pos *pos, const char *s, size_t len) {
    (void)ql;
    pos->node->lp = lp_replace(pos->node->lp, &pos->p, s, len);
}

/* Index of p inside its node's listpack. */
static uint32_t node_offset(ql_node *n, unsigned char *p) {
    uint32_t off = 0;
    for (unsigned char *q = lp_first(n->lp); q && q != p; q = lp_next(n->lp, q))
        off++;
    return off;
}

void ql_insert(quicklist *ql, const ql_pos *pos, int where, const char *s, size_t len) {
    ql_node *n = pos->node;
    unsigned char *p = pos->p;
    ql->meta++;
    if (node_allows(ql, n, len)) {
        n->lp = lp_insert(n->lp, &p, where, s, len);
        return;
    }
    int at_tail = where == LP_AFTER && lp_next(n->lp, p) == NULL;
    int at_head = where == LP_BEFORE && lp_prev(n->lp, p) == NULL;
    if (at_tail || at_head) {
        ql_node *nb = at_tail ? n->next : n->prev;
        if (!node_allows(ql, nb, len)) {
            nb = node_new();
            link_after(ql, at_tail ? n : n->prev, nb);
        }
        nb->lp = at_tail ? lp_prepend(nb->lp, s, len) : lp_append(nb->lp, s, len);
        return;
    }
    /* Middle of a full node: split it at the insertion point, then the new
     * element goes at the end of the left half or the start of the right. */
    uint32_t split = node_offset(n, p) + (where == LP_AFTER ? 1 : 0);
    uint32_t ncount = ql_node_count(n);
    ql_node *right = mem_calloc(sizeof(*right));
    right->lp = lp_delete_range(lp_dup(n->lp), 0, split);
    n->lp = lp_delete_range(n->lp, split, ncount - split);
    link_after(ql, n, right);
    if (node_allows(ql, n, len)) {
        n->lp = lp_append(n->lp, s, len);
    } else if (node_allows(ql, right, len)) {
        right->lp = lp_prepend(right->lp, s, len);
    } else {
        ql_node *mid = node_new();
        link_after(ql, n, mid);
        mid->lp = lp_append(mid->lp, s, len);
    }
}

int ql_delete_at(quicklist *ql, ql_pos *pos, int dir) {
    ql_node *n = pos->node;
    ql->meta--;
    if (ql_node_count(n) == 1) {
        ql_node *nb = dir == QL_TAIL ? n->next : n->prev;
        unlink_node(ql, n);
        if (!nb) return 0;
        pos->node = nb;
        pos->p = dir == QL_TAIL ? lp_first(nb->lp) : lp_last(nb->lp);
        return 1;
    }
    unsigned char *p = pos->p;
    n->lp = lp_delete(n->lp, &p);
    if (dir == QL_TAIL) {
        if (p) {
            pos->p = p;
            return 1;
        }
        if (!n->next) return 0;
        pos->node = n->next;
        pos->p = lp_first(n->next->lp);
        return 1;
    }
    p = p ? lp_prev(n->lp, p) : lp_last(n->lp);
    if (p) {
        pos->p = p;
        return 1;
    }
    if (!n->prev) return 0;
    pos->node = n->prev;
    pos->p = lp_last(n->prev->lp);
    return 1;
}

void ql_delete_range(quicklist *ql, size_t start, size_t count) {
    size_t total = ql_count(ql);
    if (start >= total) return;
    if (count > total - start) count = total - start;
    ql->meta -= count;
    ql_node *n = ql->head;
    while (n && start >= ql_node_count(n)) {
        start -= ql_node_count(n);
        n = n->next;
    }
    while (n && count > 0) {
        ql_node *next = n->next;
        size_t ncount = ql_node_count(n);
        size_t take = ncount - start;
        if (take > count) take = count;
        if (start == 0 && take == ncount) {
            unlink_node(ql, n);
        } else {
            n->lp = lp_delete_range(n->lp, (long)start, take);
        }
        count -= take;
        start = 0;
        n = next;
    }
}
