/*
 * skiplist.c - the sorted-set skiplist with spans and an embedded member
 * index (skiplist.h has the layout and invariants).
 *
 * Levels are drawn with p = 1/4 up to SL_MAXLEVEL, which keeps the
 * expected links per node at 1.33. A node's levels and member live in the
 * same block as its dict link, so adding a member costs one allocation.
 */
#include "ds/skiplist.h"

#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"

static const char *node_key(const dict_node *dn, size_t *len) {
    const sl_node *n = (const sl_node *)dn;
    *len = n->len;
    return sl_member(n);
}

static const dict_ops sl_dict_ops = {.key = node_key, .nocase = 0};

static sl_node *node_new(int level, double score, const char *m, size_t len) {
    sl_node *n = mem_alloc(sizeof(sl_node) + (size_t)level * sizeof(struct sl_level) + len);
    n->dn.next = NULL;
    n->score = score;
    n->backward = NULL;
    n->len = (uint32_t)len;
    n->level = (uint8_t)level;
    if (len) memcpy((char *)&n->lv[level], m, len);
    return n;
}

skiplist *sl_new(void) {
    skiplist *sl = mem_alloc(sizeof *sl);
    sl->header = node_new(SL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < SL_MAXLEVEL; i++) {
        sl->header->lv[i].forward = NULL;
        sl->header->lv[i].span = 0;
    }
    sl->tail = NULL;
    sl->length = 0;
    sl->level = 1;
    dict_init(&sl->d, &sl_dict_ops);
    return sl;
}

void sl_free(skiplist *sl) {
    if (!sl) return;
    /* The dict only links nodes: free them through the list, then the buckets. */
    dict_clear(&sl->d, NULL, NULL);
    sl_node *n = sl->header->lv[0].forward;
    while (n) {
        sl_node *next = n->lv[0].forward;
        mem_free(n);
        n = next;
    }
    mem_free(sl->header);
    mem_free(sl);
}

int sl_cmp_member(const char *a, size_t alen, const char *b, size_t blen) {
    size_t min = alen < blen ? alen : blen;
    int r = min ? memcmp(a, b, min) : 0;
    if (r) return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* 1 when node x sorts before (score, m). */
static int before(const sl_node *x, double score, const char *m, size_t len) {
    return x->score < score ||
           (x->score == score && sl_cmp_member(sl_member(x), x->len, m, len) < 0);
}

static int random_level(void) {
    int level = 1;
    while (level < SL_MAXLEVEL && (random() & 0xFFFF) < (0xFFFF >> 2)) level++;
    return level;
}

/* Links an allocated node at its place. */
static void link_node(skiplist *sl, sl_node *x) {
    sl_node *update[SL_MAXLEVEL];
    unsigned long rank[SL_MAXLEVEL];
    const char *m = sl_member(x);
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        rank[i] = i == sl->level - 1 ? 0 : rank[i + 1];
        while (p->lv[i].forward && before(p->lv[i].forward, x->score, m, x->len)) {
            rank[i] += p->lv[i].span;
            p = p->lv[i].forward;
        }
        update[i] = p;
    }
    int level = x->level;
    if (level > sl->level) {
        for (int i = sl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = sl->header;
            update[i]->lv[i].span = sl->length;
        }
        sl->level = level;
    }
    for (int i = 0; i < level; i++) {
        x->lv[i].forward = update[i]->lv[i].forward;
        update[i]->lv[i].forward = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < sl->level; i++) update[i]->lv[i].span++;
    x->backward = update[0] == sl->header ? NULL : update[0];
    if (x->lv[0].forward)
        x->lv[0].forward->backward = x;
    else
        sl->tail = x;
    sl->length++;
}

/* Unlinks x from the list (not from the dict). */
static void unlink_node(skiplist *sl, sl_node *x) {
    sl_node *update[SL_MAXLEVEL];
    const char *m = sl_member(x);
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].forward && p->lv[i].forward != x &&
               before(p->lv[i].forward, x->score, m, x->len))
            p = p->lv[i].forward;
        update[i] = p;
    }
    for (int i = 0; i < sl->level; i++) {
        if (update[i]->lv[i].forward == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].forward = x->lv[i].forward;
        } else {
            update[i]->lv[i].span--;
        }
    }
    if (x->lv[0].forward)
        x->lv[0].forward->backward = x->backward;
    else
        sl->tail = x->backward;
    while (sl->level > 1 && sl->header->lv[sl->level - 1].forward == NULL) sl->level--;
    sl->length--;
}

sl_node *sl_insert(skiplist *sl, double score, const char *m, size_t len) {
    sl_node *x = node_new(random_level(), score, m, len);
    link_node(sl, x);
    dict_insert(&sl->d, &x->dn, dict_hash(m, len));
    return x;
}

sl_node *sl_find(skiplist *sl, const char *m, size_t len) {
    return (sl_node *)dict_find(&sl->d, m, len, dict_hash(m, len));
}

void sl_delete_node(skiplist *sl, sl_node *n) {
    dict_remove(&sl->d, sl_member(n), n->len, dict_hash(sl_member(n), n->len));
    unlink_node(sl, n);
    mem_free(n);
}

int sl_delete(skiplist *sl, const char *m, size_t len) {
    sl_node *n = sl_find(sl, m, len);
    if (!n) return 0;
    sl_delete_node(sl, n);
    return 1;
}

void sl_update_score(skiplist *sl, sl_node *n, double score) {
    /* Same place in the order: only the score changes. */
    const char *m = sl_member(n);
    int prev_ok = !n->backward || before(n->backward, score, m, n->len);
    sl_node *f = n->lv[0].forward;
    int next_ok = !f || f->score > score ||
                  (f->score == score && sl_cmp_member(sl_member(f), f->len, m, n->len) > 0);
    if (prev_ok && next_ok) {
        n->score = score;
        return;
    }
    unlink_node(sl, n);
    n->score = score;
    link_node(sl, n);
}

unsigned long sl_rank(const skiplist *sl, const sl_node *n) {
    unsigned long rank = 0;
    const sl_node *p = sl->header;
    const char *m = sl_member(n);
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].forward &&
               (p->lv[i].forward == n || before(p->lv[i].forward, n->score, m, n->len))) {
            rank += p->lv[i].span;
            p = p->lv[i].forward;
        }
        if (p == n) return rank;
    }
    return 0;
}

sl_node *sl_by_rank(const skiplist *sl, unsigned long rank) {
    if (rank == 0 || rank > sl->length) return NULL;
    unsigned long traversed = 0;
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].forward && traversed + p->lv[i].span <= rank) {
            traversed += p->lv[i].span;
            p = p->lv[i].forward;
        }
        if (traversed == rank) return p;
    }
    return NULL;
}

int sl_score_gte_min(double v, const sl_range *r) {
    return r->minex ? v > r->min : v >= r->min;
}

int sl_score_lte_max(double v, const sl_range *r) {
    return r->maxex ? v < r->max : v <= r->max;
}

int sl_range_empty(const sl_range *r) {
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

int sl_lex_gte_min(const char *m, size_t len, const sl_lexrange *r) {
    if (r->mininf) return r->mininf < 0;
    int c = sl_cmp_member(m, len, r->min, r->minlen);
    return r->minex ? c > 0 : c >= 0;
}

int sl_lex_lte_max(const char *m, size_t len, const sl_lexrange *r) {
    if (r->maxinf) return r->maxinf > 0;
    int c = sl_cmp_member(m, len, r->max, r->maxlen);
    return r->maxex ? c < 0 : c <= 0;
}

int sl_lex_empty(const sl_lexrange *r) {
    if (r->mininf > 0 || r->maxinf < 0) return 1;
    if (r->mininf < 0 || r->maxinf > 0) return 0;
    int c = sl_cmp_member(r->min, r->minlen, r->max, r->maxlen);
    return c > 0 || (c == 0 && (r->minex || r->maxex));
}

sl_node *sl_first_in_range(const skiplist *sl, const sl_range *r) {
    if (sl_range_empty(r) || !sl->tail || !sl_score_gte_min(sl->tail->score, r)) return NULL;
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].forward && !sl_score_gte_min(p->lv[i].forward->score, r))
            p = p->lv[i].forward;
    p = p->lv[0].forward;
    return p && sl_score_lte_max(p->score, r) ? p : NULL;
}

sl_node *sl_last_in_range(const skiplist *sl, const sl_range *r) {
    sl_node *first = sl_first(sl);
    if (sl_range_empty(r) || !first || !sl_score_lte_max(first->score, r)) return NULL;
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].forward && sl_score_lte_max(p->lv[i].forward->score, r))
            p = p->lv[i].forward;
    return p != sl->header && sl_score_gte_min(p->score, r) ? p : NULL;
}

/* Redis's rule, which decides what lex ranges do on members with different
 * scores: nothing is in range unless the last member is >= min and the
 * first <= max. */
static int in_lex_range(const skiplist *sl, const sl_lexrange *r) {
    sl_node *first = sl_first(sl);
    return !sl_lex_empty(r) && first && sl_lex_gte_min(sl_member(sl->tail), sl->tail->len, r) &&
           sl_lex_lte_max(sl_member(first), first->len, r);
}

sl_node *sl_first_in_lex(const skiplist *sl, const sl_lexrange *r) {
    if (!in_lex_range(sl, r)) return NULL;
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].forward &&
               !sl_lex_gte_min(sl_member(p->lv[i].forward), p->lv[i].forward->len, r))
            p = p->lv[i].forward;
    p = p->lv[0].forward;
    return p && sl_lex_lte_max(sl_member(p), p->len, r) ? p : NULL;
}

sl_node *sl_last_in_lex(const skiplist *sl, const sl_lexrange *r) {
    if (!in_lex_range(sl, r)) return NULL;
    sl_node *p = sl->header;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].forward &&
               sl_lex_lte_max(sl_member(p->lv[i].forward), p->lv[i].forward->len, r))
            p = p->lv[i].forward;
    return p != sl->header && sl_lex_gte_min(sl_member(p), p->len, r) ? p : NULL;
}

size_t sl_mem_usage(const skiplist *sl) {
    size_t total = sizeof *sl + mem_usable(sl->header) + dict_overhead_bytes(&sl->d);
    for (sl_node *n = sl_first(sl); n; n = sl_next(n)) total += mem_usable(n);
    return total;
}
