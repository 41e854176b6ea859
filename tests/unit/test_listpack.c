/*
 * test_listpack.c - unit tests for src/ds/listpack.c.
 *
 * Besides the basic operations, the tests pin what the collection types
 * rely on: integer texts round-trip through every integer width, strings
 * cross the 6/12/32-bit length encodings intact, both walking directions
 * agree with a model after random edits, and lp_validate accepts every
 * listpack the writer produces while refusing truncations and corruption
 * without faulting.
 */
#include "unit.h"

#include "ds/listpack.h"
#include "ds/mem.h"

#include <stdint.h>
#include <stdlib.h>

/* Text of element p, NUL-terminated in a static buffer (tests only). */
static const char *txt(const unsigned char *p, size_t *len) {
    static char out[8192];
    char buf[LP_INTBUF];
    size_t l;
    const char *s = lp_get_str(p, &l, buf);
    if (l >= sizeof(out)) l = sizeof(out) - 1;
    memcpy(out, s, l);
    out[l] = '\0';
    if (len) *len = l;
    return out;
}

static listpack *app(listpack *lp, const char *s) {
    return lp_append(lp, s, strlen(s));
}

TEST(lp_empty) {
    listpack *lp = lp_new();
    CHECK_INT(lp_count(lp), 0);
    CHECK_INT(lp_bytes(lp), 9);
    CHECK(lp_first(lp) == NULL);
    CHECK(lp_last(lp) == NULL);
    CHECK(lp_seek(lp, 0) == NULL);
    CHECK(lp_seek(lp, -1) == NULL);
    CHECK(lp_find(lp, lp_first(lp), "a", 1, 0) == NULL);
    CHECK(lp_validate(lp, lp_bytes(lp), 0));
    lp = lp_delete_range(lp, 0, 5);
    CHECK_INT(lp_count(lp), 0);
    lp_free(lp);
}

TEST(lp_append_walk) {
    listpack *lp = lp_new();
    lp = app(lp, "a");
    lp = app(lp, "123");
    lp = app(lp, "hello");
    lp = lp_prepend(lp, "-5", 2);
    lp = lp_append_int(lp, 1000000);
    CHECK_INT(lp_count(lp), 5);
    const char *want[] = {"-5", "a", "123", "hello", "1000000"};
    int i = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++)
        CHECK_STR(txt(p, NULL), want[i]);
    CHECK_INT(i, 5);
    i = 4;
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p), i--)
        CHECK_STR(txt(p, NULL), want[i]);
    CHECK_INT(i, -1);
    for (i = 0; i < 5; i++) {
        CHECK_STR(txt(lp_seek(lp, i), NULL), want[i]);
        CHECK_STR(txt(lp_seek(lp, i - 5), NULL), want[i]);
    }
    CHECK(lp_seek(lp, 5) == NULL);
    CHECK(lp_seek(lp, -6) == NULL);
    CHECK(lp_validate(lp, lp_bytes(lp), 5));
    CHECK(!lp_validate(lp, lp_bytes(lp), 4));
    lp_free(lp);
}

TEST(lp_get_kinds) {
    listpack *lp = lp_new();
    lp = app(lp, "42");
    lp = app(lp, "042");
    lp = app(lp, "-0");
    lp = app(lp, "");
    size_t len;
    long long v = 0;
    unsigned char *p = lp_first(lp);
    CHECK(lp_get(p, &len, &v) == NULL);
    CHECK_INT(v, 42);
    p = lp_next(lp, p);
    const char *s = lp_get(p, &len, &v);
    CHECK(s != NULL);
    CHECK_MEM(s, len, "042");
    p = lp_next(lp, p);
    s = lp_get(p, &len, &v);
    CHECK(s != NULL);
    CHECK_MEM(s, len, "-0");
    p = lp_next(lp, p);
    s = lp_get(p, &len, &v);
    CHECK(s != NULL);
    CHECK_INT(len, 0);
    CHECK(lp_next(lp, p) == NULL);
    lp_free(lp);
}

/* Every integer width boundary round-trips as text and compares equal. */
TEST(lp_int_boundaries) {
    static const long long vals[] = {
        0, 1, 63, 64, 127, 128, 129, -1, -64, -4096, -4097, 4095, 4096, 8191, 8192,
        32767, 32768, -32768, -32769, 8388607, 8388608, -8388608, -8388609,
        2147483647LL, 2147483648LL, -2147483648LL, -2147483649LL,
        INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    size_t n = sizeof(vals) / sizeof(vals[0]);
    listpack *lp = lp_new();
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        int l = snprintf(buf, sizeof(buf), "%lld", vals[i]);
        if (i % 2) lp = lp_append(lp, buf, (size_t)l);
        else lp = lp_append_int(lp, vals[i]);
    }
    CHECK(lp_validate(lp, lp_bytes(lp), (long)n));
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < n; i++, p = lp_next(lp, p)) {
        CHECK(p != NULL);
        size_t len;
        long long v = 0;
        CHECK(lp_get(p, &len, &v) == NULL);
        CHECK_INT(v, vals[i]);
        int l = snprintf(buf, sizeof(buf), "%lld", vals[i]);
        CHECK_STR(txt(p, NULL), buf);
        CHECK(lp_eq(p, buf, (size_t)l));
        CHECK(lp_find(lp, lp_first(lp), buf, (size_t)l, 0) == p);
    }
    CHECK(p == NULL);
    /* Backwards too. */
    p = lp_last(lp);
    for (size_t i = n; i-- > 0; p = lp_prev(lp, p)) {
        long long v = 0;
        size_t len;
        CHECK(lp_get(p, &len, &v) == NULL);
        CHECK_INT(v, vals[i]);
    }
    CHECK(p == NULL);
    /* Small integers are compact. */
    listpack *s = lp_new();
    s = app(s, "7");
    CHECK_INT(lp_bytes(s), 9 + 2);
    s = app(s, "-100");
    CHECK_INT(lp_bytes(s), 9 + 2 + 3);
    lp_free(s);
    lp_free(lp);
}

TEST(lp_string_lengths) {
    static const size_t lens[] = {0, 1, 63, 64, 65, 127, 128, 4095, 4096, 4097, 16383, 16384, 70000};
    size_t n = sizeof(lens) / sizeof(lens[0]);
    char *big = mem_alloc(70001);
    for (size_t i = 0; i < 70000; i++) big[i] = (char)('a' + i % 26);
    listpack *lp = lp_new();
    for (size_t i = 0; i < n; i++) lp = lp_append(lp, big, lens[i]);
    CHECK(lp_validate(lp, lp_bytes(lp), (long)n));
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < n; i++, p = lp_next(lp, p)) {
        size_t len;
        long long v;
        const char *s = lp_get(p, &len, &v);
        CHECK(s != NULL);
        CHECK_INT(len, lens[i]);
        CHECK(memcmp(s, big, len) == 0);
        CHECK(lp_eq(p, big, lens[i]));
    }
    p = lp_last(lp);
    for (size_t i = n; i-- > 0; p = lp_prev(lp, p)) {
        size_t len;
        long long v;
        CHECK(lp_get(p, &len, &v) != NULL);
        CHECK_INT(len, lens[i]);
    }
    CHECK(p == NULL);
    CHECK(lp_find(lp, lp_first(lp), big, 4096, 0) == lp_seek(lp, 8));
    mem_free(big);
    lp_free(lp);
}

TEST(lp_insert_replace_delete) {
    listpack *lp = lp_new();
    lp = app(lp, "b");
    unsigned char *p = lp_first(lp);
    lp = lp_insert(lp, &p, LP_BEFORE, "a", 1);
    CHECK_STR(txt(p, NULL), "a");
    p = lp_last(lp);
    lp = lp_insert(lp, &p, LP_AFTER, "c", 1);
    CHECK_STR(txt(p, NULL), "c");
    CHECK(p == lp_last(lp));
    p = NULL;
    lp = lp_insert(lp, &p, LP_AFTER, "d", 1);
    CHECK_STR(txt(lp_last(lp), NULL), "d");
    CHECK_INT(lp_count(lp), 4);
    p = lp_seek(lp, 1);
    lp = lp_replace(lp, &p, "a much longer string than before", 32);
    CHECK_STR(txt(p, NULL), "a much longer string than before");
    lp = lp_replace(lp, &p, "99", 2);
    CHECK_STR(txt(p, NULL), "99");
    CHECK_INT(lp_count(lp), 4);
    p = lp_seek(lp, 0);
    lp = lp_delete(lp, &p);
    CHECK_STR(txt(p, NULL), "99");
    p = lp_last(lp);
    lp = lp_delete(lp, &p);
    CHECK(p == NULL);
    CHECK_INT(lp_count(lp), 2);
    CHECK(lp_validate(lp, lp_bytes(lp), 2));
    lp = lp_delete_range(lp, -2, 100);
    CHECK_INT(lp_count(lp), 0);
    CHECK_INT(lp_bytes(lp), 9);
    lp_free(lp);
}

/* A value copied from inside the same listpack survives the move. */
TEST(lp_self_insert) {
    listpack *lp = lp_new();
    char big[300];
    memset(big, 'x', sizeof(big));
    lp = lp_append(lp, big, sizeof(big));
    size_t len;
    long long v;
    const char *s = lp_get(lp_first(lp), &len, &v);
    lp = lp_append(lp, s, len);
    unsigned char *p = lp_first(lp);
    s = lp_get(p, &len, &v);
    lp = lp_insert(lp, &p, LP_BEFORE, s, len);
    CHECK_INT(lp_count(lp), 3);
    for (p = lp_first(lp); p; p = lp_next(lp, p)) CHECK(lp_eq(p, big, sizeof(big)));
    lp_free(lp);
}

TEST(lp_find_skip) {
    listpack *lp = lp_new();
    /* field,value pairs where values collide with fields */
    const char *kv[] = {"f1", "f2", "f2", "10", "10", "x", "-3", "f1"};
    for (int i = 0; i < 8; i++) lp = app(lp, kv[i]);
    unsigned char *p = lp_find(lp, lp_first(lp), "f2", 2, 1);
    CHECK(p == lp_seek(lp, 2));
    p = lp_find(lp, lp_first(lp), "10", 2, 1);
    CHECK(p == lp_seek(lp, 4));
    CHECK(lp_find(lp, lp_first(lp), "x", 1, 1) == NULL);
    CHECK(lp_find(lp, lp_first(lp), "x", 1, 0) == lp_seek(lp, 5));
    CHECK(lp_find(lp, lp_first(lp), "-3", 2, 1) == lp_seek(lp, 6));
    CHECK(lp_find(lp, lp_first(lp), "010", 3, 0) == NULL);
    CHECK(lp_find(lp, lp_first(lp), "", 0, 0) == NULL);
    CHECK(lp_find(lp, lp_seek(lp, 1), "f1", 2, 1) == lp_seek(lp, 7));
    CHECK(lp_find(lp, lp_seek(lp, 2), "f1", 2, 1) == NULL);
    CHECK(lp_find(lp, lp_seek(lp, 2), "f1", 2, 0) == lp_seek(lp, 7));
    CHECK(lp_find(lp, NULL, "f1", 2, 0) == NULL);
    lp_free(lp);
}

TEST(lp_dup_and_compact_hash) {
    listpack *lp = lp_new();
    char f[16], v[16];
    for (int i = 0; i < 10; i++) {
        int fl = snprintf(f, sizeof(f), "field%d", i);
        int vl = snprintf(v, sizeof(v), "value%d", i);
        lp = lp_append(lp, f, (size_t)fl);
        lp = lp_append(lp, v, (size_t)vl);
    }
    /* 20 entries of 6 bytes: 1 encoding + 6 + 1 backlen each. */
    CHECK_INT(lp_bytes(lp), 9 + 20 * 8);
    listpack *d = lp_dup(lp);
    CHECK_INT(lp_bytes(d), lp_bytes(lp));
    CHECK(memcmp(d, lp, lp_bytes(lp)) == 0);
    CHECK(lp_safe_to_add(lp, 1000));
    CHECK(!lp_safe_to_add(lp, (size_t)UINT32_MAX));
    lp_free(d);
    lp_free(lp);
}

/* ---- model-based random test ------------------------------------------- */

typedef struct mitem {
    char s[80];
    size_t len;
} mitem;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void rand_item(mitem *m) {
    switch (rnd() % 5) {
    case 0: m->len = (size_t)snprintf(m->s, sizeof(m->s), "%lld", (long long)(rnd() % 300) - 150); break;
    case 1: m->len = (size_t)snprintf(m->s, sizeof(m->s), "%lld", (long long)rnd()); break;
    case 2: m->len = (size_t)snprintf(m->s, sizeof(m->s), "0%d", (int)(rnd() % 100)); break;
    default:
        m->len = rnd() % 75;
        for (size_t i = 0; i < m->len; i++) m->s[i] = (char)('a' + rnd() % 4);
        break;
    }
}

static int check_model(listpack *lp, const mitem *m, size_t n) {
    if (lp_count(lp) != n) return 0;
    if (!lp_validate(lp, lp_bytes(lp), (long)n)) return 0;
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < n; i++, p = lp_next(lp, p)) {
        if (!p || !lp_eq(p, m[i].s, m[i].len)) return 0;
        size_t l;
        char buf[LP_INTBUF];
        const char *s = lp_get_str(p, &l, buf);
        if (l != m[i].len || memcmp(s, m[i].s, l) != 0) return 0;
    }
    if (p) return 0;
    p = lp_last(lp);
    for (size_t i = n; i-- > 0; p = lp_prev(lp, p))
        if (!p || !lp_eq(p, m[i].s, m[i].len)) return 0;
    return p == NULL;
}

TEST(lp_random_model) {
    enum { MAXN = 300 };
    mitem *m = mem_alloc(sizeof(mitem) * (MAXN + 1));
    size_t n = 0;
    listpack *lp = lp_new();
    for (int step = 0; step < 20000; step++) {
        unsigned op = (unsigned)(rnd() % 8);
        mitem it;
        rand_item(&it);
        if (n >= MAXN) op = 5;
        if (op == 0) {
            lp = lp_append(lp, it.s, it.len);
            m[n++] = it;
        } else if (op == 1) {
            lp = lp_prepend(lp, it.s, it.len);
            memmove(m + 1, m, n * sizeof(mitem));
            m[0] = it;
            n++;
        } else if (op == 2 && n) {
            size_t i = rnd() % n;
            int where = (int)(rnd() % 2);
            unsigned char *p = lp_seek(lp, (long)i);
            lp = lp_insert(lp, &p, where, it.s, it.len);
            size_t at = where == LP_AFTER ? i + 1 : i;
            memmove(m + at + 1, m + at, (n - at) * sizeof(mitem));
            m[at] = it;
            n++;
            CHECK(lp_eq(p, it.s, it.len));
        } else if (op == 3 && n) {
            size_t i = rnd() % n;
            unsigned char *p = lp_seek(lp, -(long)(n - i));
            lp = lp_replace(lp, &p, it.s, it.len);
            m[i] = it;
            CHECK(p == lp_seek(lp, (long)i));
        } else if (op == 4 && n) {
            size_t i = rnd() % n;
            unsigned char *p = lp_seek(lp, (long)i);
            lp = lp_delete(lp, &p);
            memmove(m + i, m + i + 1, (n - i - 1) * sizeof(mitem));
            n--;
            CHECK(p == (i < n ? lp_seek(lp, (long)i) : NULL));
        } else if (op == 5 && n) {
            size_t i = rnd() % n, k = rnd() % 8;
            lp = lp_delete_range(lp, (long)i, k);
            if (k > n - i) k = n - i;
            memmove(m + i, m + i + k, (n - i - k) * sizeof(mitem));
            n -= k;
        } else if (n) {
            /* find: the model's first match from a random start */
            size_t from = rnd() % n;
            const mitem *q = (rnd() % 2) ? &m[rnd() % n] : &it;
            size_t want = n;
            for (size_t j = from; j < n; j++)
                if (m[j].len == q->len && memcmp(m[j].s, q->s, q->len) == 0) {
                    want = j;
                    break;
                }
            unsigned char *p = lp_find(lp, lp_seek(lp, (long)from), q->s, q->len, 0);
            CHECK(p == (want < n ? lp_seek(lp, (long)want) : NULL));
        }
        if (step % 97 == 0) CHECK(check_model(lp, m, n));
    }
    CHECK(check_model(lp, m, n));
    lp_free(lp);
    mem_free(m);
}

/* ---- validation of hostile bytes ---------------------------------------- */

static listpack *sample_lp(void) {
    listpack *lp = lp_new();
    char big[5000];
    memset(big, 'z', sizeof(big));
    lp = app(lp, "a");
    lp = app(lp, "12");
    lp = app(lp, "-1234");
    lp = app(lp, "70000");
    lp = app(lp, "9000000");
    lp = app(lp, "3000000000");
    lp = app(lp, "-9223372036854775808");
    lp = lp_append(lp, big, 64);
    lp = lp_append(lp, big, 200);
    lp = lp_append(lp, big, 5000);
    lp = app(lp, "");
    return lp;
}

/* Walks a validated listpack both ways; returns the count seen. */
static uint32_t walk(listpack *lp) {
    uint32_t n = 0;
    char buf[LP_INTBUF];
    size_t l;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        lp_get_str(p, &l, buf);
        n++;
    }
    uint32_t m = 0;
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p)) m++;
    return n == m ? n : UINT32_MAX;
}

TEST(lp_validate_truncations) {
    listpack *lp = sample_lp();
    size_t size = lp_bytes(lp);
    CHECK(lp_validate(lp, size, -1));
    CHECK(lp_validate(lp, size, 11));
    CHECK_INT(walk(lp), 11);
    for (size_t cut = 0; cut < size; cut++) {
        unsigned char *t = mem_memdup(lp, cut ? cut : 1);
        /* Even with the header fixed up to match, a truncation is refused. */
        if (cut >= 9) {
            t[0] = (unsigned char)cut;
            t[1] = (unsigned char)(cut >> 8);
            t[2] = (unsigned char)(cut >> 16);
            t[3] = 0;
            t[cut - 1] = 0xFF;
        }
        CHECK(!lp_validate(t, cut, -1));
        mem_free(t);
    }
    CHECK(!lp_validate(NULL, 0, -1));
    lp_free(lp);
}

TEST(lp_validate_corruption) {
    listpack *lp = sample_lp();
    size_t size = lp_bytes(lp);
    unsigned char *t = mem_alloc(size);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(t, lp, size);
        int flips = 1 + (int)(rnd() % 3);
        for (int k = 0; k < flips; k++) {
            size_t at = rnd() % size;
            if (rnd() % 2) t[at] ^= (unsigned char)(1u << (rnd() % 8));
            else t[at] = (unsigned char)rnd();
        }
        if (lp_validate(t, size, -1)) {
            /* Accepted means it is well formed: walking must agree. */
            CHECK_INT(walk((listpack *)t), lp_count(t));
            accepted++;
        }
    }
    /* Flips inside string payloads stay valid: some must be accepted. */
    CHECK(accepted > 0);
    /* Specific refusals. */
    memcpy(t, lp, size);
    t[4] = 12; /* count too large */
    CHECK(!lp_validate(t, size, -1));
    memcpy(t, lp, size);
    t[size - 1] = 0; /* no terminator */
    CHECK(!lp_validate(t, size, -1));
    memcpy(t, lp, size);
    t[8] = 0xF7; /* invalid encoding */
    CHECK(!lp_validate(t, size, -1));
    mem_free(t);
    lp_free(lp);
}

/* Only the canonical form is accepted, so byte-wise lp_find stays exact. */
TEST(lp_validate_canonical) {
    /* header, one entry, terminator */
    unsigned char ok[] = {13, 0, 0, 0, 1, 0, 0, 0, 0x82, 'a', 'b', 3, 0xFF};
    CHECK(lp_validate(ok, sizeof(ok), 1));
    unsigned char strint[] = {13, 0, 0, 0, 1, 0, 0, 0, 0x82, '1', '2', 3, 0xFF};
    CHECK(!lp_validate(strint, sizeof(strint), 1));
    unsigned char wide[] = {13, 0, 0, 0, 1, 0, 0, 0, 0xF1, 5, 0, 3, 0xFF};
    CHECK(!lp_validate(wide, sizeof(wide), 1));
    unsigned char str12[] = {14, 0, 0, 0, 1, 0, 0, 0, 0xE0, 2, 'a', 'b', 4, 0xFF};
    CHECK(!lp_validate(str12, sizeof(str12), 1));
    unsigned char badback[] = {13, 0, 0, 0, 1, 0, 0, 0, 0x82, 'a', 'b', 4, 0xFF};
    CHECK(!lp_validate(badback, sizeof(badback), 1));
    unsigned char int13[] = {11, 0, 0, 0, 1, 0, 0, 0, 0xDF, 0xFF, 2, 0xFF};
    CHECK(!lp_validate(int13, sizeof(int13), 1)); /* -1 fits 13 bits, but size is off */
    unsigned char m1[] = {12, 0, 0, 0, 1, 0, 0, 0, 0xDF, 0xFF, 2, 0xFF};
    CHECK(lp_validate(m1, sizeof(m1), 1));
    size_t len;
    long long v = 0;
    CHECK(lp_get(m1 + 8, &len, &v) == NULL);
    CHECK_INT(v, -1);
    CHECK(lp_eq(m1 + 8, "-1", 2));
    unsigned char pos[] = {12, 0, 0, 0, 1, 0, 0, 0, 0xC0, 0x05, 2, 0xFF};
    CHECK(!lp_validate(pos, sizeof(pos), 1)); /* 5 belongs in one byte */
}
