/*
 * test_quicklist.c - unit tests for src/ds/quicklist.c.
 *
 * Every test drives a quicklist and a plain array model with the same
 * operations and compares them element by element, under several fill
 * factors so that node boundaries (splits, emptied nodes, neighbours with
 * room) fall everywhere. The structural invariants of quicklist.h are
 * checked after each step: no empty node, counts that add up, links that
 * agree in both directions.
 */
#include "unit.h"

#include "ds/mem.h"
#include "ds/quicklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_MAX 4096
#define VAL_MAX 48

typedef struct model {
    char v[MODEL_MAX][VAL_MAX];
    size_t n;
} model;

static model M;

static size_t ql_nodes(const quicklist *ql) {
    size_t nodes = 0;
    for (ql_node *n = ql->head; n; n = n->next)
        nodes++;
    return nodes;
}

static int ql_check(quicklist *ql) {
    size_t total = 0;
    ql_node *prev = NULL;
    for (ql_node *n = ql->head; n; n = n->next) {
        if (n->prev != prev || ql_node_count(n) == 0) return 0;
        total += ql_node_count(n);
        prev = n;
    }
    return prev == ql->tail && total == ql_count(ql);
}

static int ql_matches(quicklist *ql) {
    if (ql_count(ql) != M.n || !ql_check(ql)) return 0;
    ql_pos pos;
    if (M.n == 0) return !ql_index(ql, 0, &pos);
    if (!ql_index(ql, 0, &pos)) return 0;
    for (size_t i = 0; i < M.n; i++) {
        char buf[LP_INTBUF];
        size_t len;
        const char *s = ql_get(&pos, &len, buf);
        if (len != strlen(M.v[i]) || memcmp(s, M.v[i], len) != 0) return 0;
        int more = ql_step(ql, &pos, QL_TAIL);
        if (more != (i + 1 < M.n)) return 0;
    }
    return 1;
}

static void model_insert(size_t at, const char *s) {
    memmove(M.v[at + 1], M.v[at], (M.n - at) * VAL_MAX);
    snprintf(M.v[at], VAL_MAX, "%s", s);
    M.n++;
}

static void model_delete(size_t at, size_t count) {
    memmove(M.v[at], M.v[at + count], (M.n - at - count) * VAL_MAX);
    M.n -= count;
}

static void rand_val(char *out, unsigned r) {
    switch (r % 4) {
    case 0:
        snprintf(out, VAL_MAX, "%u", r % 1000);
        break;
    case 1:
        snprintf(out, VAL_MAX, "-%u", r % 77);
        break;
    case 2:
        snprintf(out, VAL_MAX, "s%u", r % 50);
        break;
    default:
        snprintf(out, VAL_MAX, "long-value-%030u", r);
        break;
    }
}

TEST(quicklist_push_pop_index) {
    quicklist *ql = ql_new(3);
    M.n = 0;
    for (int i = 0; i < 20; i++) {
        char b[16];
        snprintf(b, sizeof(b), "%d", i);
        if (i % 2) {
            ql_push(ql, QL_TAIL, b, strlen(b));
            model_insert(M.n, b);
        } else {
            ql_push(ql, QL_HEAD, b, strlen(b));
            model_insert(0, b);
        }
    }
    CHECK(ql_matches(ql));
    ql_pos pos;
    char buf[LP_INTBUF];
    size_t len;
    CHECK(ql_index(ql, -1, &pos));
    const char *s = ql_get(&pos, &len, buf);
    CHECK_MEM(s, len, M.v[M.n - 1]);
    CHECK(!ql_index(ql, 20, &pos));
    CHECK(!ql_index(ql, -21, &pos));
    s = ql_peek(ql, QL_HEAD, &len, buf);
    CHECK_MEM(s, len, M.v[0]);
    ql_pop(ql, QL_HEAD);
    model_delete(0, 1);
    ql_pop(ql, QL_TAIL);
    model_delete(M.n - 1, 1);
    CHECK(ql_matches(ql));
    quicklist *d = ql_dup(ql);
    CHECK(ql_matches(d));
    CHECK(ql_mem_usage(d) > 18);
    ql_free(d);
    while (ql_count(ql))
        ql_pop(ql, QL_TAIL);
    M.n = 0;
    CHECK(ql_matches(ql));
    CHECK(ql->head == NULL && ql->tail == NULL);
    ql_free(ql);
}

/* Random operations against the model under several fill factors. */
TEST(quicklist_random_model) {
    static const int fills[] = {1, 2, 5, 128, -1, -2};
    unsigned seed = 12345;
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        quicklist *ql = ql_new(fills[f]);
        M.n = 0;
        for (int step = 0; step < 3000; step++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 8;
            char v[VAL_MAX];
            rand_val(v, r / 7);
            int op = (int)(r % 8);
            ql_pos pos;
            if (op <= 1 && M.n < MODEL_MAX - 1) {
                ql_push(ql, op == 0 ? QL_HEAD : QL_TAIL, v, strlen(v));
                model_insert(op == 0 ? 0 : M.n, v);
            } else if (op == 2 && M.n) {
                ql_pop(ql, (r & 16) ? QL_HEAD : QL_TAIL);
                model_delete((r & 16) ? 0 : M.n - 1, 1);
            } else if (op == 3 && M.n && M.n < MODEL_MAX - 1) {
                size_t at = (r / 3) % M.n;
                int after = (r & 32) != 0;
                CHECK(ql_index(ql, (long long)at, &pos));
                ql_insert(ql, &pos, after ? LP_AFTER : LP_BEFORE, v, strlen(v));
                model_insert(at + (size_t)after, v);
            } else if (op == 4 && M.n) {
                size_t at = (r / 3) % M.n;
                CHECK(ql_index(ql, -(long long)(M.n - at), &pos));
                ql_replace(ql, &pos, v, strlen(v));
                snprintf(M.v[at], VAL_MAX, "%s", v);
            } else if (op == 5 && M.n) {
                size_t at = (r / 3) % M.n, cnt = (r / 11) % 9;
                if (cnt > M.n - at) cnt = M.n - at;
                ql_delete_range(ql, at, cnt);
                model_delete(at, cnt);
            } else if (op == 6 && M.n) {
                /* Delete every element equal to the one at a random index,
                 * walking in either direction (LREM's loop). */
                int dir = (r & 64) ? QL_HEAD : QL_TAIL;
                char target[VAL_MAX];
                snprintf(target, VAL_MAX, "%s", M.v[(r / 3) % M.n]);
                int ok = ql_index(ql, dir == QL_TAIL ? 0 : -1, &pos);
                while (ok) {
                    if (lp_eq(pos.p, target, strlen(target)))
                        ok = ql_delete_at(ql, &pos, dir);
                    else
                        ok = ql_step(ql, &pos, dir);
                }
                size_t w = 0;
                for (size_t i = 0; i < M.n; i++)
                    if (strcmp(M.v[i], target) != 0) memmove(M.v[w++], M.v[i], VAL_MAX);
                M.n = w;
            }
            if (step % 97 == 0 || op == 6) CHECK(ql_matches(ql));
        }
        CHECK(ql_matches(ql));
        ql_free(ql);
    }
}

TEST(quicklist_fill_and_count_packing) {
    static const int fills[] = {-5, -1, 1, 7, 32767, -100, 0, 1 << 20};
    static const int want[] = {-5, -1, 1, 7, 32767, -5, 1, 32767};
    for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
        quicklist *ql = ql_new(fills[i]);
        CHECK_INT(ql_fill(ql), want[i]);
        ql_push(ql, QL_TAIL, "a", 1);
        CHECK_INT(ql_count(ql), 1);
        CHECK_INT(ql_fill(ql), want[i]);
        ql_pop(ql, QL_TAIL);
        CHECK_INT(ql_count(ql), 0);
        CHECK_INT(ql_fill(ql), want[i]);
        ql_free(ql);
    }
}

TEST(quicklist_node_bounds) {
    /* Positive fill: at most fill elements per node. */
    quicklist *ql = ql_new(4);
    for (int i = 0; i < 100; i++)
        ql_push(ql, QL_TAIL, "abc", 3);
    CHECK_INT(ql_nodes(ql), 25);
    for (ql_node *n = ql->head; n; n = n->next)
        CHECK(ql_node_count(n) <= 4);
    ql_free(ql);
    /* Negative fill: node bytes bounded (-1 = 4 KB). */
    ql = ql_new(-1);
    char big[1000];
    memset(big, 'x', sizeof(big));
    for (int i = 0; i < 40; i++)
        ql_push(ql, QL_HEAD, big, sizeof(big));
    for (ql_node *n = ql->head; n; n = n->next)
        CHECK(lp_bytes(n->lp) <= 4096);
    CHECK(ql_nodes(ql) >= 10);
    /* An element larger than the bound gets a node of its own. */
    char *huge = mem_alloc(10000);
    memset(huge, 'y', 10000);
    ql_push(ql, QL_TAIL, huge, 10000);
    CHECK_INT(ql_node_count(ql->tail), 1);
    ql_pos pos;
    CHECK(ql_index(ql, 10, &pos));
    ql_insert(ql, &pos, LP_AFTER, huge, 10000);
    CHECK_INT(ql_count(ql), 42);
    CHECK(ql_check(ql));
    mem_free(huge);
    ql_free(ql);
}
