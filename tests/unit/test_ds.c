/*
 * test_ds.c - unit tests for the small primitives in src/ds: glob, numconv,
 * dstr, crc16, siphash.
 *
 * Expected values for glob and numconv were checked against Redis 7.0
 * (KEYS, INCRBY, INCRBYFLOAT, ZADD/ZSCORE) so these tests pin Redis's
 * behaviour, corner cases included.
 */
#include "unit.h"

#include "ds/crc16.h"
#include "ds/dstr.h"
#include "ds/glob.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "ds/siphash.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* ---- crc16 ---- */

static uint16_t crc16_bitwise(const char *buf, size_t len) {
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((unsigned char)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

TEST(crc16_vectors) {
    CHECK_INT(crc16_xmodem("123456789", 9), 0x31C3);
    CHECK_INT(crc16_xmodem("", 0), 0);
    /* CLUSTER KEYSLOT values. */
    CHECK_INT(crc16_xmodem("foo", 3) & 16383, 12182);
    CHECK_INT(crc16_xmodem("bar", 3) & 16383, 5061);
    CHECK_INT(crc16_xmodem("hello", 5) & 16383, 866);
    char buf[300];
    for (int i = 0; i < 300; i++)
        buf[i] = (char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof(buf); len++)
        CHECK_INT(crc16_xmodem(buf, len), crc16_bitwise(buf, len));
}

/* ---- siphash ---- */

static uint64_t u64le(const uint8_t b[8]) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

TEST(siphash_vectors) {
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* Reference SipHash-2-4 vectors (key 00..0f, message 00..len-1). */
    CHECK(siphash24(msg, 0, key) == 0x726fdb47dd0e0e31ULL);
    CHECK(siphash24(msg, 1, key) == 0x74f839c593dc67fdULL);
    CHECK(siphash24(msg, 15, key) == 0xa129ca6149be45e5ULL);
    const uint8_t v63[8] = {0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95};
    CHECK(siphash24(msg, 63, key) == u64le(v63));

    /* SipHash-1-3 under the all-zero key, as CPython 3.11 computes it. */
    uint8_t zero[16] = {0};
    CHECK(siphash13("a", 1, zero) == 0x407448d2b89b1813ULL);
    CHECK(siphash13("abc", 3, zero) == 0xc03bc3a0042630f2ULL);
    CHECK(siphash13("12345678", 8, zero) == 0x3489982430560a87ULL);
    CHECK(siphash13("hello world, this is long", 25, zero) == 0x6a2d504ce82dfaf0ULL);
    CHECK(siphash13(msg, 64, zero) == 0x75e05fd5bbc870c6ULL);
}

TEST(siphash_nocase_matches_lowered) {
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    char in[80], low[80];
    for (int i = 0; i < 80; i++) {
        /* Cover every byte class: upper, lower, digits, high bytes, edges. */
        static const char pool[] = "AZaz@[`{09\x80\xc1\xdb\xff\x00Mq_";
        in[i] = pool[(i * 13) % (sizeof(pool) - 1)];
        low[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
    }
    for (size_t len = 0; len <= 80; len++) {
        CHECK(siphash13_nocase(in, len, key) == siphash13(low, len, key));
        CHECK(siphash13_nocase(low, len, key) == siphash13(low, len, key));
    }
    /* Every single byte value folds exactly as ASCII tolower. */
    for (int c = 0; c < 256; c++) {
        char b = (char)c, l = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        CHECK(siphash13_nocase(&b, 1, key) == siphash13(&l, 1, key));
    }
}

/* ---- glob ---- */

static int gm(const char *p, const char *s) {
    return glob_match(p, strlen(p), s, strlen(s), 0);
}

static int gmi(const char *p, const char *s) {
    return glob_match(p, strlen(p), s, strlen(s), 1);
}

TEST(glob_basic) {
    CHECK(gm("*", "anything"));
    CHECK(gm("h?llo", "hello"));
    CHECK(gm("h?llo", "hallo"));
    CHECK(!gm("h?llo", "hllo"));
    CHECK(gm("h*llo", "hllo"));
    CHECK(gm("h*llo", "heeeello"));
    CHECK(gm("h[ae]llo", "hello"));
    CHECK(gm("h[ae]llo", "hallo"));
    CHECK(!gm("h[ae]llo", "hillo"));
    CHECK(gm("h[^e]llo", "hallo"));
    CHECK(!gm("h[^e]llo", "hello"));
    CHECK(gm("h[a-b]llo", "hbllo"));
    CHECK(!gm("h[a-b]llo", "hcllo"));
    CHECK(gm("h[b-a]llo", "hallo")); /* reversed range */
    CHECK(gm("user:*:name", "user:1000:name"));
    CHECK(!gm("user:*:name", "user:1000:age"));
    CHECK(gm("a*b*c", "aXbYc"));
    CHECK(gm("a*b*c", "abc"));
    CHECK(!gm("a*b*c", "acb"));
    CHECK(gm("**a", "a"));
    CHECK(gm("a*", "a"));
    CHECK(gm("*a*", "a"));
    CHECK(!gm("a?", "a"));
    CHECK(gm("", ""));
    CHECK(!gm("", "a"));
    /* The empty string matches only the empty pattern. */
    CHECK(!gm("*", ""));
    CHECK(!gm("**", ""));
    CHECK(!gm("?", ""));
}

TEST(glob_escapes_and_brackets) {
    CHECK(gm("\\*", "*"));
    CHECK(!gm("\\*", "a"));
    CHECK(gm("\\?", "?"));
    CHECK(gm("a\\", "a\\")); /* trailing backslash is literal */
    CHECK(gm("\\\\", "\\"));
    CHECK(gm("[\\]]", "]"));
    CHECK(gm("[\\-]", "-"));
    CHECK(!gm("[\\-]", "\\"));
    CHECK(gm("[a\\-z]", "-"));
    CHECK(!gm("[a\\-z]", "m"));
    CHECK(gm("[*]", "*"));
    CHECK(!gm("[*]", "a"));
    CHECK(gm("[-a]", "-"));
    /* Unterminated '[' takes the rest of the pattern as the set. */
    CHECK(!gm("[", "a"));
    CHECK(gm("[ab", "b"));
    CHECK(!gm("[ab", "ab"));
    CHECK(gm("[^", "x"));  /* empty negated set: any byte */
    CHECK(!gm("[]", "]")); /* empty set: nothing */
    CHECK(gm("[^]", "]"));
    CHECK(!gm("[]a]", "a]")); /* "[]" is an empty set, then "a]" */
    CHECK(gm("[^]a]", "xa]"));
    /* "[a-]" is the range ']'..'a' (the ']' becomes the range end). */
    CHECK(gm("[a-]", "^"));
    CHECK(gm("[a-]", "a"));
    CHECK(!gm("[a-]", "-"));
    CHECK(gm("[a-", "a"));
    CHECK(gm("[a-", "-"));
    /* Range bounds compare as signed chars: [a-\xc3] is \xc3..'a'. */
    CHECK(gm("[a-\xc3]", "A"));
    CHECK(gm("[a-\xc3]", "\xc3"));
    CHECK(!gm("[a-\xc3]", "z"));
    CHECK(gm("[a-\xc3]", "\xff"));  /* -1 */
    CHECK(!gm("[a-\xc3]", "\xc0")); /* -64 */
    /* Binary-safe: NUL bytes in pattern and subject. */
    CHECK(glob_match("a\0*", 3, "a\0bc", 4, 0));
    CHECK(!glob_match("a\0*", 3, "ab", 2, 0));
    CHECK(glob_match("?", 1, "\0", 1, 0));
}

TEST(glob_nocase) {
    CHECK(gmi("HELLO", "hello"));
    CHECK(gmi("h*O", "HELLO"));
    CHECK(gmi("[A-C]x", "bX"));
    CHECK(gmi("[a-c]x", "BX"));
    CHECK(gmi("[^A]", "b"));
    CHECK(!gmi("[^A]", "a"));
    CHECK(gmi("[Q]", "q"));
    /* Escaped bytes inside brackets compare case-sensitively, as in Redis. */
    CHECK(!gmi("[\\Q]", "q"));
    CHECK(gmi("\\Q", "q"));
    /* [A-z] folds its bounds to a..z, so '[' (between Z and a) is out. */
    CHECK(!gmi("[A-z]", "["));
    CHECK(gm("[A-z]", "["));
    CHECK(!gm("HELLO", "hello"));
}

TEST(glob_hostile_patterns_are_fast) {
    char str[4096], pat[2200];
    memset(str, 'a', sizeof(str));
    size_t pl = 0;
    for (int i = 0; i < 1000; i++) {
        pat[pl++] = '*';
        pat[pl++] = 'a';
    }
    pat[pl++] = 'b';
    clock_t t0 = clock();
    CHECK(!glob_match(pat, pl, str, sizeof(str), 0));
    CHECK(!glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", 26, str, sizeof(str), 0));
    CHECK(!glob_match("a*a*a*a*a*a*a*a*a*a*a*a*?b", 26, str, sizeof(str), 1));
    CHECK(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a", 24, str, sizeof(str), 0));
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 2.0);
}

TEST(glob_star_limit) {
    /* Redis gives up past 1000 nested '*' groups followed by a token. */
    static char pat[4000], str[2000];
    memset(str, 'a', sizeof(str));
    size_t pl = 0;
    for (int i = 0; i < 1000; i++) {
        pat[pl++] = '*';
        pat[pl++] = 'a';
    }
    CHECK(glob_match(pat, pl, str, 1005, 0));
    pat[pl++] = '*'; /* trailing star: no extra level */
    CHECK(glob_match(pat, pl, str, 1005, 0));
    pat[pl++] = 'a';
    CHECK(!glob_match(pat, pl, str, 1005, 0));
}

/* ---- numconv ---- */

static int s2ll(const char *s, long long *v) {
    return numconv_str2ll(s, strlen(s), v);
}

TEST(numconv_str2ll_rules) {
    long long v = 42;
    CHECK(s2ll("0", &v) && v == 0);
    CHECK(s2ll("1", &v) && v == 1);
    CHECK(s2ll("-1", &v) && v == -1);
    CHECK(s2ll("9223372036854775807", &v) && v == LLONG_MAX);
    CHECK(s2ll("-9223372036854775808", &v) && v == LLONG_MIN);
    CHECK(s2ll("12345678901234567", &v) && v == 12345678901234567LL);
    v = 42;
    const char *bad[] = {"",
                         "-",
                         "-0",
                         "01",
                         "+1",
                         " 1",
                         "1 ",
                         "1a",
                         "0x10",
                         "1.0",
                         "1e3",
                         "00",
                         "--1",
                         "9223372036854775808",
                         "-9223372036854775809",
                         "18446744073709551616",
                         "123456789012345678901",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!s2ll(bad[i], &v));
    CHECK_INT(v, 42);
    CHECK(!numconv_str2ll("1\0", 2, &v));
    CHECK(numconv_str2ll("123", 2, &v) && v == 12); /* only len bytes read */
    CHECK(numconv_is_canonical_int("-42", 3, &v) && v == -42);
    CHECK(!numconv_is_canonical_int("042", 3, &v));
}

static int s2ld(const char *s, long double *v) {
    return numconv_str2ld(s, strlen(s), v);
}

TEST(numconv_str2ld_rules) {
    long double v;
    CHECK(s2ld("1.5", &v) && v == 1.5L);
    CHECK(s2ld("-.5e-3", &v) && v == -.5e-3L);
    CHECK(s2ld("5.", &v) && v == 5.0L);
    CHECK(s2ld("0x1p3", &v) && v == 8.0L);
    CHECK(s2ld("inf", &v) && isinf(v) && v > 0);
    CHECK(s2ld("+inf", &v) && isinf(v) && v > 0);
    CHECK(s2ld("-inf", &v) && isinf(v) && v < 0);
    CHECK(s2ld("Infinity", &v) && isinf(v));
    CHECK(s2ld("-0", &v) && v == 0);
    CHECK(s2ld("1e400", &v) && v == 1e400L); /* fits a long double */
    CHECK(s2ld("4.9e-324", &v));
    const char *bad[] = {"",   " 1",   "1 ",     "\t1",     "nan",     "-nan", "NaN", "1e",
                         "e5", "1..2", "1e5000", "1e-5000", "infinit", "abc",  "--1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!s2ld(bad[i], &v));
    CHECK(!numconv_str2ld("1\0", 2, &v));
    CHECK(numconv_str2ld("2.5xyz", 3, &v) && v == 2.5L);
    /* Length limit: 5119 digits is fine, 5120 is not. */
    char *big = mem_alloc(5200);
    memset(big, '1', 5200);
    big[1] = '.';
    CHECK(numconv_str2ld(big, 5119, &v));
    CHECK(!numconv_str2ld(big, 5120, &v));
    mem_free(big);
}

static int s2d(const char *s, double *v) {
    return numconv_str2d(s, strlen(s), v);
}

TEST(numconv_str2d_rules) {
    double v;
    CHECK(s2d("1.5", &v) && v == 1.5);
    CHECK(s2d("-inf", &v) && isinf(v) && v < 0);
    CHECK(s2d("4.9e-324", &v) && v > 0); /* denormal: ERANGE but non-zero */
    CHECK(s2d("1.7976931348623157e308", &v));
    const char *bad[] = {"", " 1", "1 ", "nan", "1e400", "-1e400", "1e-400", "1x", "."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!s2d(bad[i], &v));
    /* Long inputs take the heap copy path. */
    char *big = mem_alloc(100001);
    memset(big, '0', 100000);
    big[0] = '1';
    big[1] = '.';
    CHECK(numconv_str2d(big, 100000, &v) && v == 1.0);
    big[99999] = ' ';
    CHECK(!numconv_str2d(big, 100000, &v));
    mem_free(big);
}

static const char *incrbyfloat(const char *a, const char *b, char *buf, size_t len) {
    long double x, y;
    if (!s2ld(a, &x) || !s2ld(b, &y)) return "ERR";
    size_t n = numconv_ld2str(buf, len, x + y);
    return n ? buf : "NANINF";
}

TEST(numconv_ld2str_incrbyfloat) {
    char buf[NUMCONV_LD_BUFSIZE];
    CHECK_STR(incrbyfloat("10.50", "0.1", buf, sizeof(buf)), "10.6");
    CHECK_STR(incrbyfloat("5.0e3", "2.0e2", buf, sizeof(buf)), "5200");
    CHECK_STR(incrbyfloat("3.0", "1", buf, sizeof(buf)), "4");
    CHECK_STR(incrbyfloat("0.1", "0.2", buf, sizeof(buf)), "0.3");
    CHECK_STR(incrbyfloat("0", "-0.0", buf, sizeof(buf)), "0");
    CHECK_STR(incrbyfloat("-1", "0.5", buf, sizeof(buf)), "-0.5");
    CHECK_STR(incrbyfloat("1e-20", "0", buf, sizeof(buf)), "0");
    CHECK_STR(incrbyfloat("-1e-20", "0", buf, sizeof(buf)), "0");
    CHECK_STR(incrbyfloat("inf", "1", buf, sizeof(buf)), "NANINF");
    /* Every digit of the binary value is printed, as Redis does. */
    CHECK_STR(incrbyfloat("1e30", "0", buf, sizeof(buf)), "1000000000000000000024696061952");
    CHECK(numconv_ld2str(buf, sizeof(buf), NAN) == 0);
    /* Huge values print every digit, so they need a big buffer. */
    size_t n = numconv_ld2str(buf, sizeof(buf), 1e4000L);
    CHECK(n >= 4000 && n <= 4001);
    CHECK(n == strlen(buf) && strchr(buf, '.') == NULL);
    CHECK_INT(numconv_ld2str(buf, 64, 1e4000L), 0);
    /* Like Redis, dst must hold the untrimmed "%.17Lf" text. */
    CHECK_INT(numconv_ld2str(buf, 21, 12.0L), 2);
    CHECK_STR(buf, "12");
    CHECK_INT(numconv_ld2str(buf, 20, 12.0L), 0);
}

TEST(numconv_format_unsigned) {
    char buf[NUMCONV_LL_BUFSIZE];
    CHECK_INT(numconv_ull2str(buf, 0), 1);
    CHECK_STR(buf, "0");
    CHECK_INT(numconv_ull2str(buf, ULLONG_MAX), 20);
    CHECK_STR(buf, "18446744073709551615");
    CHECK_INT(numconv_ull2str(buf, 1000), 4);
    CHECK_STR(buf, "1000");
}

/* ---- dstr ---- */

TEST(dstr_append_and_grow) {
    dstr *s = dstr_new("abc", 3);
    CHECK_MEM(s->buf, s->len, "abc");
    CHECK(s->buf[3] == '\0');
    CHECK(s->cap >= 3);
    CHECK(dstr_alloc_size(s) >= sizeof(dstr) + s->cap + 1);
    s = dstr_append(s, "defg", 4);
    CHECK_MEM(s->buf, s->len, "abcdefg");
    s = dstr_append(s, s->buf + 1, 3); /* a slice of itself */
    CHECK_MEM(s->buf, s->len, "abcdefgbcd");
    s = dstr_append(s, NULL, 0);
    CHECK_INT(s->len, 10);

    /* Appending one byte at a time reallocates O(log n) times. */
    int reallocs = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t cap = s->cap;
        char c = (char)('a' + i % 26);
        s = dstr_append(s, &c, 1);
        if (s->cap != cap) reallocs++;
    }
    CHECK_INT(s->len, 100010);
    CHECK(reallocs < 20);
    CHECK(s->buf[s->len] == '\0');
    CHECK(s->buf[10] == 'a' && s->buf[100009] == 'a' + 99999 % 26);
    for (int i = 0; i < 100000; i += 997)
        CHECK(s->buf[10 + i] == 'a' + i % 26);

    s = dstr_trim_alloc(s);
    CHECK(s->cap >= s->len);
    CHECK(s->cap - s->len < 64);
    CHECK(s->buf[s->len] == '\0');
    dstr_free(s);

    /* Above 1 MB growth is linear: +1 MB per reallocation, not doubling. */
    s = dstr_new_zero(3 * 1024 * 1024);
    uint32_t cap0 = s->cap;
    s = dstr_grow_zero(s, cap0 + 1);
    CHECK(s->cap >= cap0 + 1 + 1024 * 1024);
    CHECK(s->cap < cap0 + 1 + 1024 * 1024 + 65536);
    CHECK(s->buf[s->len] == '\0' && s->buf[cap0] == 0);
    dstr_free(s);
}

TEST(dstr_zero_fill) {
    dstr *s = dstr_new_zero(5);
    CHECK_INT(s->len, 5);
    for (int i = 0; i <= 5; i++)
        CHECK(s->buf[i] == 0);
    s = dstr_append(s, "ab", 2);
    s = dstr_grow_zero(s, 3); /* shorter: no-op */
    CHECK_INT(s->len, 7);
    s = dstr_grow_zero(s, 5000);
    CHECK_INT(s->len, 5000);
    CHECK(s->buf[5] == 'a' && s->buf[6] == 'b');
    for (int i = 7; i <= 5000; i++)
        CHECK(s->buf[i] == 0);
    dstr_free(s);
    s = dstr_new(NULL, 0);
    CHECK_INT(s->len, 0);
    CHECK(s->buf[0] == '\0');
    dstr_free(s);
}
