/*
 * test_dict.c - unit tests for src/ds/dict.c.
 *
 * Entries are a test struct with the dict_node first and the key inline,
 * the same shape the keyspace uses. Besides lookups through many resizes,
 * the tests pin the guarantees other modules build on: the scan guarantee
 * across grow/shrink, safe iteration with deletion of the current node, and
 * that sampling never hands out unlinked nodes.
 */
#include "unit.h"

#include "ds/dict.h"
#include "ds/mem.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct ent {
    dict_node node; /* first: the node pointer is the entry pointer */
    int alive;
    int seen;
    size_t len;
    char key[];
} ent;

static const char *ent_key(const dict_node *n, size_t *len) {
    const ent *e = (const ent *)n;
    *len = e->len;
    return e->key;
}

static const dict_ops ent_ops = {ent_key, 0};
static const dict_ops ent_ops_nocase = {ent_key, 1};

static ent *ent_new(const char *fmt, long i) {
    char buf[64];
    int n = snprintf(buf, sizeof(buf), fmt, i);
    ent *e = mem_calloc(sizeof(ent) + (size_t)n + 1);
    memcpy(e->key, buf, (size_t)n + 1);
    e->len = (size_t)n;
    e->alive = 1;
    return e;
}

static ent *find_key(dict *d, const char *k) {
    return (ent *)dict_find(d, k, strlen(k), dict_hash_for(d, k, strlen(k)));
}

static ent *find_fmt(dict *d, const char *fmt, long i) {
    char buf[64];
    snprintf(buf, sizeof(buf), fmt, i);
    return find_key(d, buf);
}

static ent *remove_fmt(dict *d, const char *fmt, long i) {
    char buf[64];
    size_t n = (size_t)snprintf(buf, sizeof(buf), fmt, i);
    return (ent *)dict_remove(d, buf, n, dict_hash_for(d, buf, n));
}

static void insert_ent(dict *d, ent *e) {
    dict_insert(d, &e->node, dict_hash_for(d, e->key, e->len));
}

static void free_ent(dict_node *n, void *arg) {
    if (arg) ++*(size_t *)arg;
    mem_free(n);
}

/* Insert/find/remove 200k keys, checking lookups while resizes are in
 * flight: finds right after each insert, removals in the middle of a grow,
 * and a shrink all the way back to the minimum. */
TEST(dict_insert_find_remove_200k) {
    const long n = 200000;
    dict d;
    dict_init(&d, &ent_ops);
    long rehashing_seen = 0;
    for (long i = 0; i < n; i++) {
        insert_ent(&d, ent_new("key:%ld", i));
        if (dict_is_rehashing(&d)) rehashing_seen++;
        CHECK(find_fmt(&d, "key:%ld", i) != NULL);
        if (i % 997 == 0) CHECK(find_fmt(&d, "key:%ld", i / 2) != NULL);
    }
    CHECK_INT(dict_size(&d), n);
    CHECK(rehashing_seen > 0);
    for (long i = 0; i < n; i++)
        CHECK(find_fmt(&d, "key:%ld", i) != NULL);
    CHECK(find_fmt(&d, "nokey:%ld", 1) == NULL);
    CHECK(find_key(&d, "key:") == NULL);
    CHECK(find_key(&d, "key:1x") == NULL);

    /* Remove the odd keys, the first half while a resize may be running. */
    for (long i = 1; i < n; i += 2) {
        ent *e = remove_fmt(&d, "key:%ld", i);
        CHECK(e != NULL);
        mem_free(e);
        CHECK(remove_fmt(&d, "key:%ld", i) == NULL);
    }
    CHECK_INT(dict_size(&d), n / 2);
    for (long i = 0; i < n; i++) {
        ent *e = find_fmt(&d, "key:%ld", i);
        CHECK((e != NULL) == (i % 2 == 0));
    }
    while (dict_rehash_for(&d, 1000)) {
    }
    CHECK(!dict_is_rehashing(&d));
    CHECK(dict_buckets(&d) >= dict_size(&d));

    long shrinking_seen = 0;
    for (long i = 0; i < n; i += 2) {
        ent *e = remove_fmt(&d, "key:%ld", i);
        CHECK(e != NULL);
        mem_free(e);
        if (dict_is_rehashing(&d)) shrinking_seen++;
        if (i % 1001 == 0 && i + 2 < n) CHECK(find_fmt(&d, "key:%ld", i + 2) != NULL);
    }
    CHECK(shrinking_seen > 0);
    CHECK_INT(dict_size(&d), 0);
    while (dict_rehash_for(&d, 1000)) {
    }
    /* An insert/remove pair lets the last shrink settle at the minimum. */
    for (int round = 0; round < 64 && dict_buckets(&d) > DICT_MIN_BUCKETS; round++) {
        insert_ent(&d, ent_new("key:%ld", 1));
        mem_free(remove_fmt(&d, "key:%ld", 1));
        while (dict_rehash_for(&d, 1000)) {
        }
    }
    CHECK_INT(dict_buckets(&d), DICT_MIN_BUCKETS);
    CHECK_INT(dict_overhead_bytes(&d), DICT_MIN_BUCKETS * sizeof(void *));
    dict_clear(&d, free_ent, NULL);
}

/* Entries reallocated (moved) while the table is mid-rehash are swapped in
 * with dict_replace_node, with old never read. */
TEST(dict_replace_node_during_rehash) {
    dict d;
    dict_init(&d, &ent_ops);
    ent *es[3000];
    long n = 0;
    /* Fill until a grow starts, then a bit more. */
    while (n < 3000) {
        es[n] = ent_new("r%ld", n);
        insert_ent(&d, es[n]);
        n++;
        if (dict_is_rehashing(&d) && n > 1500) break;
    }
    CHECK(dict_is_rehashing(&d));
    for (long i = 0; i < n; i++) {
        ent *old = es[i];
        uint64_t h = dict_hash_for(&d, old->key, old->len);
        /* A fresh block, filled by memcpy like realloc would. */
        ent *moved = mem_alloc(sizeof(ent) + old->len + 1 + 64);
        memcpy(moved, old, sizeof(ent) + old->len + 1);
        mem_free(old);
        CHECK_INT(dict_replace_node(&d, &old->node, &moved->node, h), 0);
        es[i] = moved;
        if (i % 3 == 0) CHECK(find_fmt(&d, "r%ld", i / 2) == es[i / 2]);
    }
    ent stranger;
    memset(&stranger, 0, sizeof(stranger));
    CHECK_INT(dict_replace_node(&d, &stranger.node, &stranger.node, dict_hash("r1", 2)), -1);
    for (long i = 0; i < n; i++)
        CHECK(find_fmt(&d, "r%ld", i) == es[i]);
    while (dict_rehash_for(&d, 1000)) {
    }
    for (long i = 0; i < n; i++)
        CHECK(find_fmt(&d, "r%ld", i) == es[i]);
    CHECK_INT(dict_size(&d), n);
    dict_clear(&d, free_ent, NULL);
}

TEST(dict_clear_and_reuse) {
    dict d;
    dict_init(&d, &ent_ops);
    dict_clear(&d, free_ent, NULL); /* empty, never allocated */
    for (long i = 0; i < 5000; i++)
        insert_ent(&d, ent_new("c%ld", i));
    size_t freed = 0;
    dict_clear(&d, free_ent, &freed);
    CHECK_INT(freed, 5000);
    CHECK_INT(dict_size(&d), 0);
    CHECK_INT(dict_buckets(&d), 0);
    CHECK(!dict_is_rehashing(&d));
    CHECK(find_fmt(&d, "c%ld", 1) == NULL);
    CHECK(dict_random(&d) == NULL);
    CHECK_INT(dict_scan(&d, 0, NULL, NULL), 0);
    for (long i = 0; i < 100; i++)
        insert_ent(&d, ent_new("c%ld", i));
    for (long i = 0; i < 100; i++)
        CHECK(find_fmt(&d, "c%ld", i) != NULL);
    freed = 0;
    dict_clear(&d, free_ent, &freed);
    CHECK_INT(freed, 100);
}

TEST(dict_nocase_keys) {
    dict d;
    dict_init(&d, &ent_ops_nocase);
    insert_ent(&d, ent_new("Hello-%ld", 1));
    insert_ent(&d, ent_new("CONFIG%ld", 2));
    CHECK(find_key(&d, "hello-1") != NULL);
    CHECK(find_key(&d, "HELLO-1") != NULL);
    CHECK(find_key(&d, "config2") != NULL);
    CHECK(find_key(&d, "config3") == NULL);
    CHECK(find_key(&d, "hello_1") == NULL);
    CHECK(dict_hash_nocase("AbC", 3) == dict_hash_nocase("aBc", 3));
    CHECK(dict_hash("AbC", 3) != dict_hash("aBc", 3));
    /* Only ASCII folds: 0xC9 and 0xE9 stay distinct. */
    CHECK(dict_hash_nocase("\xc9", 1) != dict_hash_nocase("\xe9", 1));
    for (long i = 0; i < 2000; i++)
        insert_ent(&d, ent_new("MiXeD%ld", i));
    for (long i = 0; i < 2000; i++)
        CHECK(find_fmt(&d, "mixed%ld", i) != NULL);
    ent *e = (ent *)dict_remove(&d, "HELLO-1", 7, dict_hash_nocase("HELLO-1", 7));
    CHECK(e != NULL);
    CHECK_MEM(e->key, e->len, "Hello-1");
    mem_free(e);
    dict_clear(&d, free_ent, NULL);
}

static void mark_seen(dict_node *n, void *arg) {
    (void)arg;
    ((ent *)n)->seen++;
}

/* Runs a full scan over d, calling between() after every cursor step, and
 * checks every entry in keep[] (present throughout) was seen. */
static int scan_with_churn(dict *d, ent **keep, long nkeep, void (*between)(dict *, long),
                           long *steps_out) {
    for (long i = 0; i < nkeep; i++)
        keep[i]->seen = 0;
    uint64_t cur = 0;
    long steps = 0;
    do {
        cur = dict_scan(d, cur, mark_seen, NULL);
        between(d, steps++);
    } while (cur != 0 && steps < 10000000);
    *steps_out = steps;
    for (long i = 0; i < nkeep; i++)
        if (keep[i]->seen == 0) return 0;
    return 1;
}

static long churn_next, churn_limit;

/* Bounded: a scan racing unbounded growth would never finish. */
static void grow_between(dict *d, long step) {
    (void)step;
    for (int i = 0; i < 40 && churn_next < churn_limit; i++)
        insert_ent(d, ent_new("grow%ld", churn_next++));
}

static void shrink_between(dict *d, long step) {
    (void)step;
    for (int i = 0; i < 60 && churn_next < 20000; i++) {
        ent *e = remove_fmt(d, "drop%ld", churn_next++);
        if (e) mem_free(e);
    }
}

static void nothing_between(dict *d, long step) {
    (void)d;
    (void)step;
}

TEST(dict_scan_guarantee) {
    dict d;
    long steps;
    ent *keep[500];

    /* Stable table: each node exactly once. */
    dict_init(&d, &ent_ops);
    for (long i = 0; i < 500; i++)
        insert_ent(&d, keep[i] = ent_new("keep%ld", i));
    while (dict_rehash_for(&d, 1000)) {
    }
    CHECK(scan_with_churn(&d, keep, 500, nothing_between, &steps));
    for (long i = 0; i < 500; i++)
        CHECK_INT(keep[i]->seen, 1);

    /* Growing (several doublings, with rehashes in flight) between calls. */
    churn_next = 0;
    churn_limit = 8000;
    CHECK(scan_with_churn(&d, keep, 500, grow_between, &steps));
    CHECK(dict_size(&d) > 4000);
    dict_clear(&d, free_ent, NULL);

    /* Shrinking between calls: 500 kept among 20000 that get deleted. */
    dict_init(&d, &ent_ops);
    for (long i = 0; i < 20000; i++) {
        insert_ent(&d, ent_new("drop%ld", i));
        if (i % 40 == 0) insert_ent(&d, keep[i / 40] = ent_new("keep%ld", i / 40));
    }
    while (dict_rehash_for(&d, 1000)) {
    }
    size_t buckets_before = dict_buckets(&d);
    churn_next = 0;
    CHECK(scan_with_churn(&d, keep, 500, shrink_between, &steps));
    CHECK_INT(dict_size(&d), 500);
    CHECK(dict_is_rehashing(&d)); /* the shrink was still moving buckets */
    while (dict_rehash_for(&d, 1000)) {
    }
    CHECK(dict_buckets(&d) < buckets_before);

    /* Scan started mid-rehash, with both grow and shrink churn. */
    for (int round = 0; round < 4; round++) {
        for (long i = 0; i < 3000; i++)
            insert_ent(&d, ent_new("drop%ld", i));
        CHECK(scan_with_churn(&d, keep, 500, nothing_between, &steps));
        churn_next = 0;
        CHECK(scan_with_churn(&d, keep, 500, shrink_between, &steps));
        churn_next = 100000 * (round + 1);
        churn_limit = churn_next + 5000;
        CHECK(scan_with_churn(&d, keep, 500, grow_between, &steps));
        /* Drop the grow nodes again so the next round starts from 500. */
        for (long i = 100000 * (round + 1); i < churn_next; i++) {
            ent *e = remove_fmt(&d, "grow%ld", i);
            CHECK(e != NULL);
            mem_free(e);
        }
    }
    dict_clear(&d, free_ent, NULL);
}

static void unlink_in_scan(dict_node *n, void *arg) {
    dict *d = arg;
    ent *e = (ent *)n;
    CHECK(dict_remove(d, e->key, e->len, dict_hash_for(d, e->key, e->len)) == n);
    mem_free(e);
}

TEST(dict_scan_callback_may_unlink) {
    dict d;
    dict_init(&d, &ent_ops);
    for (long i = 0; i < 3000; i++)
        insert_ent(&d, ent_new("u%ld", i));
    uint64_t cur = 0;
    do {
        cur = dict_scan(&d, cur, unlink_in_scan, &d);
    } while (cur);
    CHECK_INT(dict_size(&d), 0);
    dict_clear(&d, free_ent, NULL);
}

TEST(dict_random_and_sample) {
    dict d;
    dict_init(&d, &ent_ops);
    CHECK(dict_random(&d) == NULL);
    dict_node *out[64];
    CHECK_INT(dict_sample(&d, out, 10), 0);

    ent *es[2000];
    for (long i = 0; i < 2000; i++)
        insert_ent(&d, es[i] = ent_new("s%ld", i));
    /* Remove most nodes so the table is sparse and possibly shrinking. */
    for (long i = 0; i < 2000; i++) {
        if (i % 10 == 0) continue;
        es[i]->alive = 0;
        CHECK(remove_fmt(&d, "s%ld", i) == es[i]);
    }
    for (int round = 0; round < 20000; round++) {
        ent *e = (ent *)dict_random(&d);
        CHECK(e != NULL && e->alive);
        size_t k = dict_sample(&d, out, 1 + (size_t)round % 64);
        CHECK(k <= dict_size(&d));
        for (size_t j = 0; j < k; j++)
            CHECK(((ent *)out[j])->alive);
    }
    /* Mid-rehash too. */
    for (long i = 0; i < 2000; i++)
        if (!es[i]->alive) mem_free(es[i]);
    for (long i = 0; i < 2000; i++) {
        if (i % 10 == 0) continue;
        insert_ent(&d, es[i] = ent_new("s%ld", i));
    }
    for (int round = 0; round < 2000; round++) {
        CHECK(((ent *)dict_random(&d))->alive);
        size_t k = dict_sample(&d, out, 16);
        CHECK(k > 0);
        for (size_t j = 0; j < k; j++)
            CHECK(((ent *)out[j])->alive);
    }

    /* Close to uniform: 100 nodes, 200k picks, each within 25% of 2000
     * (the binomial deviation is about 45). */
    dict_clear(&d, free_ent, NULL);
    dict_init(&d, &ent_ops);
    for (long i = 0; i < 100; i++)
        insert_ent(&d, es[i] = ent_new("u%ld", i));
    for (int round = 0; round < 200000; round++)
        ((ent *)dict_random(&d))->seen++;
    for (long i = 0; i < 100; i++) {
        CHECK(es[i]->seen > 1500);
        CHECK(es[i]->seen < 2500);
    }
    dict_clear(&d, free_ent, NULL);
}

TEST(dict_iter_exactly_once_and_delete_current) {
    dict d;
    dict_init(&d, &ent_ops);
    ent *es[5000];
    for (long i = 0; i < 5000; i++)
        insert_ent(&d, es[i] = ent_new("i%ld", i));
    while (dict_rehash_for(&d, 1000)) {
    }

    dict_iter it;
    dict_iter_init(&d, &it);
    long count = 0;
    for (dict_node *n; (n = dict_iter_next(&it));) {
        ((ent *)n)->seen++;
        count++;
    }
    dict_iter_done(&it);
    CHECK_INT(count, 5000);
    for (long i = 0; i < 5000; i++)
        CHECK_INT(es[i]->seen, 1);

    /* Started mid-rehash: the pause keeps nodes still, so still once each. */
    for (long i = 5000; i < 9000; i++) {
        insert_ent(&d, ent_new("i%ld", i));
        if (dict_is_rehashing(&d) && i > 8200) break;
    }
    CHECK(dict_is_rehashing(&d));
    size_t total = dict_size(&d);
    dict_iter_init(&d, &it);
    count = 0;
    for (dict_node *n; (n = dict_iter_next(&it));) {
        ((ent *)n)->seen = 100;
        count++;
        /* Lookups during iteration must not move anything. */
        CHECK(find_fmt(&d, "i%ld", count % 5000) != NULL);
    }
    dict_iter_done(&it);
    CHECK_INT(count, total);
    CHECK(dict_is_rehashing(&d));

    /* Deleting the current node each time empties the dict. */
    dict_iter_init(&d, &it);
    count = 0;
    for (dict_node *n; (n = dict_iter_next(&it));) {
        ent *e = (ent *)n;
        CHECK(dict_remove(&d, e->key, e->len, dict_hash_for(&d, e->key, e->len)) == n);
        mem_free(e);
        count++;
    }
    dict_iter_done(&it);
    CHECK_INT(count, total);
    CHECK_INT(dict_size(&d), 0);
    CHECK_INT(d.pause, 0);
    dict_clear(&d, free_ent, NULL);
}
