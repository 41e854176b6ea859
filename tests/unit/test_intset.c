/*
 * test_intset.c - unit tests for src/ds/intset.c.
 *
 * Pins the width upgrades at the 16/32-bit boundaries (both signs), the
 * sorted-unique invariant against a model under random adds and removes,
 * and that intset_validate refuses malformed blobs.
 */
#include "unit.h"

#include "ds/intset.h"
#include "ds/mem.h"

#include <stdint.h>
#include <stdlib.h>

static int blob_width(const intset *is) {
    return intset_blob(is)[0];
}

TEST(intset_basic) {
    intset *is = intset_new();
    int added, removed;
    CHECK_INT(intset_len(is), 0);
    CHECK(!intset_find(is, 5));
    is = intset_add(is, 5, &added);
    CHECK_INT(added, 1);
    is = intset_add(is, 5, &added);
    CHECK_INT(added, 0);
    is = intset_add(is, -3, &added);
    is = intset_add(is, 10, NULL);
    is = intset_add(is, 7, NULL);
    CHECK_INT(intset_len(is), 4);
    int64_t want[] = {-3, 5, 7, 10}, v;
    for (uint32_t i = 0; i < 4; i++) {
        CHECK(intset_get(is, i, &v));
        CHECK_INT(v, want[i]);
    }
    CHECK(!intset_get(is, 4, &v));
    CHECK_INT(intset_min(is), -3);
    CHECK_INT(intset_max(is), 10);
    CHECK(intset_find(is, 7));
    CHECK(!intset_find(is, 6));
    CHECK(!intset_find(is, INT64_MAX));
    is = intset_remove(is, 6, &removed);
    CHECK_INT(removed, 0);
    is = intset_remove(is, INT64_MIN, &removed);
    CHECK_INT(removed, 0);
    is = intset_remove(is, 5, &removed);
    CHECK_INT(removed, 1);
    CHECK_INT(intset_len(is), 3);
    CHECK_INT(blob_width(is), 2);
    CHECK_INT(intset_blob_len(is), 8 + 3 * 2);
    for (int i = 0; i < 100; i++) {
        int64_t r = intset_random(is);
        CHECK(r == -3 || r == 7 || r == 10);
    }
    intset *d = intset_dup(is);
    CHECK_INT(intset_blob_len(d), intset_blob_len(is));
    CHECK(memcmp(intset_blob(d), intset_blob(is), intset_blob_len(is)) == 0);
    intset_free(d);
    intset_free(is);
}

TEST(intset_upgrades) {
    static const struct {
        int64_t v;
        int width;
    } steps[] = {{0, 2},          {32767, 2},           {-32768, 2},         {32768, 4},
                 {-32769, 4},     {2147483647LL, 4},    {-2147483648LL, 4},  {2147483648LL, 8},
                 {INT64_MIN, 8},  {INT64_MAX, 8}};
    intset *is = intset_new();
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        is = intset_add(is, steps[i].v, NULL);
        CHECK_INT(blob_width(is), steps[i].width);
        for (size_t j = 0; j <= i; j++) CHECK(intset_find(is, steps[j].v));
        CHECK(intset_validate(intset_blob(is), intset_blob_len(is)));
    }
    CHECK_INT(intset_min(is), INT64_MIN);
    CHECK_INT(intset_max(is), INT64_MAX);
    int64_t prev = INT64_MIN, v;
    for (uint32_t i = 1; i < intset_len(is); i++) {
        CHECK(intset_get(is, i, &v));
        CHECK(v > prev);
        prev = v;
    }
    /* Upgrading with a negative value puts it first. */
    intset *n = intset_new();
    n = intset_add(n, 1, NULL);
    n = intset_add(n, 2, NULL);
    n = intset_add(n, -100000, NULL);
    CHECK(intset_get(n, 0, &v));
    CHECK_INT(v, -100000);
    CHECK(intset_get(n, 2, &v));
    CHECK_INT(v, 2);
    intset_free(n);
    intset_free(is);
}

static uint64_t is_rng = 88172645463325252ULL;
static uint64_t is_rnd(void) {
    is_rng ^= is_rng << 13;
    is_rng ^= is_rng >> 7;
    is_rng ^= is_rng << 17;
    return is_rng;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

TEST(intset_random_model) {
    enum { MAXN = 2000 };
    int64_t *m = mem_alloc(sizeof(int64_t) * MAXN);
    size_t n = 0;
    intset *is = intset_new();
    for (int step = 0; step < 30000; step++) {
        int64_t v;
        switch (is_rnd() % 4) {
        case 0: v = (int64_t)(is_rnd() % 200) - 100; break;
        case 1: v = (int64_t)(int32_t)is_rnd(); break;
        case 2: v = (int64_t)(is_rnd() % 70000) - 35000; break;
        default: v = (int64_t)is_rnd(); break;
        }
        if (step > 20000) v = (int64_t)(is_rnd() % 200) - 100;
        size_t at = n;
        for (size_t i = 0; i < n; i++)
            if (m[i] == v) at = i;
        int flag, adding = !(is_rnd() % 3 == 0 || n >= MAXN);
        if (!adding) {
            is = intset_remove(is, v, &flag);
            CHECK_INT(flag, at < n);
            if (at < n) m[at] = m[--n];
        } else {
            is = intset_add(is, v, &flag);
            CHECK_INT(flag, at == n);
            if (at == n) m[n++] = v;
        }
        CHECK_INT(intset_find(is, v), adding);
    }
    qsort(m, n, sizeof(int64_t), cmp64);
    CHECK_INT(intset_len(is), n);
    for (uint32_t i = 0; i < n; i++) {
        int64_t v;
        CHECK(intset_get(is, i, &v));
        CHECK_INT(v, m[i]);
        CHECK(intset_find(is, m[i]));
    }
    CHECK(intset_validate(intset_blob(is), intset_blob_len(is)));
    intset_free(is);
    mem_free(m);
}

TEST(intset_validate_blobs) {
    intset *is = intset_new();
    for (int i = 0; i < 10; i++) is = intset_add(is, i * 1000, NULL);
    size_t len = intset_blob_len(is);
    const unsigned char *b = intset_blob(is);
    CHECK(intset_validate(b, len));
    for (size_t cut = 0; cut < len; cut++) CHECK(!intset_validate(b, cut));
    unsigned char *t = mem_memdup(b, len);
    t[0] = 3; /* bad width */
    CHECK(!intset_validate(t, len));
    memcpy(t, b, len);
    t[0] = 4; /* width no longer matches the size */
    CHECK(!intset_validate(t, len));
    memcpy(t, b, len);
    t[4] = 11; /* length too large */
    CHECK(!intset_validate(t, len));
    memcpy(t, b, len);
    memcpy(t + 8, b + 10, 2); /* duplicate: not strictly ascending */
    CHECK(!intset_validate(t, len));
    memcpy(t, b, len);
    t[8 + 2 * 5 + 1] ^= 0x80; /* out of order: element 5 turns negative */
    CHECK(!intset_validate(t, len));
    CHECK(intset_from_blob(t, len) == NULL);
    intset *c = intset_from_blob(b, len);
    CHECK(c != NULL);
    CHECK(intset_find(c, 9000));
    /* Empty and huge-length headers. */
    unsigned char e[8] = {2, 0, 0, 0, 0, 0, 0, 0};
    CHECK(intset_validate(e, 8));
    unsigned char h[8] = {8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    CHECK(!intset_validate(h, 8));
    CHECK(!intset_validate(NULL, 0));
    intset_free(c);
    mem_free(t);
    intset_free(is);
}
