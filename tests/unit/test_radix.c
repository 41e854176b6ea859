/*
 * test_radix.c - the radix tree against a plain sorted array: inserts,
 * removals and every kind of seek, on short byte keys chosen to share
 * prefixes, and on 16-byte big-endian IDs in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/radix.h"
#include "unit.h"

#define MODEL_MAX 400

typedef struct model_key {
    unsigned char k[4];
    size_t len;
    int present;
} model_key;

static int key_cmp(const model_key *a, const model_key *b) {
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->k, b->k, n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* The model's answer to a seek: index of the chosen key or -1. */
static int model_seek(const model_key *keys, int n, enum radix_op op, const model_key *q) {
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!keys[i].present) continue;
        int c = key_cmp(&keys[i], q);
        int ok = op == RADIX_GE ? c >= 0 : op == RADIX_GT ? c > 0 : op == RADIX_LE ? c <= 0 : c < 0;
        if (!ok) continue;
        if (best < 0) {
            best = i;
            continue;
        }
        int d = key_cmp(&keys[i], &keys[best]);
        if ((op == RADIX_GE || op == RADIX_GT) ? d < 0 : d > 0) best = i;
    }
    return best;
}

static void random_key(model_key *k, unsigned *seed) {
    k->len = (size_t)(rand_r(seed) % 4);
    /* A small alphabet makes keys share prefixes and split nodes. */
    for (size_t i = 0; i < k->len; i++) k->k[i] = (unsigned char)("abc"[rand_r(seed) % 3]);
}

TEST(radix_matches_sorted_model) {
    unsigned seed = 7;
    model_key keys[MODEL_MAX];
    int n = 0;
    radix *t = radix_new();
    for (int round = 0; round < 4000; round++) {
        model_key k = {{0}, 0, 1};
        random_key(&k, &seed);
        int idx = -1;
        for (int i = 0; i < n; i++)
            if (keys[i].len == k.len && memcmp(keys[i].k, k.k, k.len) == 0) idx = i;
        if (idx < 0 && n < MODEL_MAX) {
            keys[n] = k;
            keys[n].present = 0;
            idx = n++;
        }
        if (idx < 0) continue;
        uintptr_t val = (uintptr_t)round + 1;
        if (rand_r(&seed) % 3) {
            void *old = NULL;
            int res = radix_insert(t, k.k, k.len, (void *)val, &old);
            CHECK_INT(res, !keys[idx].present);
            keys[idx].present = 1;
        } else {
            int res = radix_remove(t, k.k, k.len, NULL);
            CHECK_INT(res, keys[idx].present);
            keys[idx].present = 0;
        }
        size_t live = 0;
        for (int i = 0; i < n; i++) live += (size_t)keys[i].present;
        CHECK_INT(radix_size(t), live);
        model_key q = {{0}, 0, 1};
        random_key(&q, &seed);
        CHECK_INT(radix_find(t, q.k, q.len, NULL),
                  model_seek(keys, n, RADIX_GE, &q) >= 0 &&
                      key_cmp(&keys[model_seek(keys, n, RADIX_GE, &q)], &q) == 0);
        for (int op = RADIX_GE; op <= RADIX_LT; op++) {
            radix_iter it;
            radix_iter_init(&it, t);
            int want = model_seek(keys, n, (enum radix_op)op, &q);
            int got = radix_seek(&it, (enum radix_op)op, q.k, q.len);
            CHECK_INT(got, want >= 0);
            if (got) {
                CHECK_INT(it.len, keys[want].len);
                CHECK(it.len == 0 || memcmp(it.key, keys[want].k, it.len) == 0);
            }
            radix_iter_done(&it);
        }
    }
    /* A full walk in both directions visits every key in order. */
    radix_iter it;
    radix_iter_init(&it, t);
    size_t walked = 0;
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) walked++;
    CHECK_INT(walked, radix_size(t));
    walked = 0;
    for (int ok = radix_seek(&it, RADIX_LAST, NULL, 0); ok; ok = radix_prev(&it)) walked++;
    CHECK_INT(walked, radix_size(t));
    radix_iter_done(&it);
    radix_free(t, NULL);
}

static void id_key(uint64_t ms, uint64_t seq, unsigned char out[16]) {
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(ms >> (56 - 8 * i));
        out[8 + i] = (unsigned char)(seq >> (56 - 8 * i));
    }
}

TEST(radix_stream_ids_in_order) {
    radix *t = radix_new();
    unsigned char k[16];
    for (uint64_t i = 0; i < 5000; i++) {
        id_key(1000 + i / 3, i % 3, k);
        CHECK_INT(radix_insert(t, k, 16, (void *)(uintptr_t)(i + 1), NULL), 1);
    }
    radix_iter it;
    radix_iter_init(&it, t);
    uint64_t expect = 1;
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it))
        CHECK_INT((uintptr_t)it.value, expect++);
    CHECK_INT(expect, 5001);
    /* The node holding an ID is the last master ID <= it. */
    id_key(1500, 7, k);
    CHECK(radix_seek(&it, RADIX_LE, k, 16));
    CHECK_INT((uintptr_t)it.value, 1500 * 3 - 3000 + 3);
    for (uint64_t i = 0; i < 5000; i += 2) {
        id_key(1000 + i / 3, i % 3, k);
        CHECK_INT(radix_remove(t, k, 16, NULL), 1);
    }
    CHECK_INT(radix_size(t), 2500);
    CHECK(radix_seek(&it, RADIX_FIRST, NULL, 0));
    CHECK_INT((uintptr_t)it.value, 2);
    radix_iter_done(&it);
    size_t before = mem_used();
    radix_free(t, NULL);
    CHECK(mem_used() < before);
}
