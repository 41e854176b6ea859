/*
 * test_proto.c - unit tests for src/proto: request parser, encoders, reader.
 *
 * The request-parser expectations (error texts, the '\r'-then-skip-one rule,
 * the NUL quirk, inline splitting) were taken from redis-server 7.0 by
 * sending it the same bytes. The reader is checked type by type, on every
 * split point of a reply, and by a seeded round trip of random trees.
 */
#include "unit.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "ds/mem.h"
#include "proto/resp.h"

/* ---- request parser ---- */

static int parse_str(resp_request_parser *p, const char *s, size_t len, size_t *used) {
    return resp_request_parse(p, s, len, used);
}

#define ARG_IS(p, i, s) CHECK_MEM((p)->argv[i].ptr, (p)->argv[i].len, s)

/* Parses a whole command and returns the error text (or "" if none). */
static const char *req_error(const char *s, size_t len) {
    static char msg[128];
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    int rc = parse_str(&p, s, len, &used);
    snprintf(msg, sizeof(msg), "%s", rc == RESP_ERROR ? p.error : "");
    resp_request_free(&p);
    return msg;
}
#define REQ_ERROR(lit) req_error(lit, sizeof(lit) - 1)

TEST(proto_req_multibulk_basic) {
    const char cmd[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
    resp_request_parser p;
    resp_request_init(&p);
    size_t used = 99;
    CHECK_INT(parse_str(&p, cmd, sizeof(cmd) - 1, &used), RESP_OK);
    CHECK_INT(used, sizeof(cmd) - 1);
    CHECK_INT(p.argc, 3);
    ARG_IS(&p, 0, "SET");
    ARG_IS(&p, 1, "k");
    ARG_IS(&p, 2, "value");
    CHECK(p.argv[2].ptr == cmd + 24); /* zero-copy */
    resp_request_free(&p);
}

TEST(proto_req_pipeline) {
    const char cmd[] = "*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
    size_t len = sizeof(cmd) - 1, off = 0, used;
    resp_request_parser p;
    resp_request_init(&p);
    CHECK_INT(parse_str(&p, cmd, len, &used), RESP_OK);
    CHECK_INT(used, 14);
    ARG_IS(&p, 0, "PING");
    off += used;
    CHECK_INT(parse_str(&p, cmd + off, len - off, &used), RESP_OK);
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 0, "ECHO");
    ARG_IS(&p, 1, "hi");
    off += used;
    CHECK_INT(parse_str(&p, cmd + off, len - off, &used), RESP_OK);
    CHECK_INT(p.argc, 2);
    CHECK_INT(p.argv[1].len, 0);
    off += used;
    CHECK_INT(off, len);
    CHECK_INT(parse_str(&p, cmd + off, 0, &used), RESP_INCOMPLETE);
    resp_request_free(&p);
}

/* Feeds s one byte at a time, each time from a freshly allocated copy, so a
 * pointer kept across calls would be caught by the sanitizer. */
static int feed_bytewise(resp_request_parser *p, const char *s, size_t len, size_t *used) {
    for (size_t i = 1; i <= len; i++) {
        char *copy = mem_memdup(s, i);
        int rc = resp_request_parse(p, copy, i, used);
        if (rc == RESP_OK) {
            /* Arguments must be read before the next call; check them here. */
            for (int a = 0; a < p->argc; a++)
                if (p->argv[a].len &&
                    (p->argv[a].ptr < copy || p->argv[a].ptr + p->argv[a].len > copy + i) &&
                    (p->argv[a].ptr < p->scratch_ ||
                     p->argv[a].ptr + p->argv[a].len > p->scratch_ + p->scratchcap_))
                    rc = -99;
        }
        mem_free(copy);
        if (rc != RESP_INCOMPLETE) {
            if (rc == RESP_OK && i != len) return -98;
            return rc;
        }
        if (*used != 0) return -97;
    }
    return RESP_INCOMPLETE;
}

TEST(proto_req_bytewise) {
    const char cmd[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n";
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(feed_bytewise(&p, cmd, sizeof(cmd) - 1, &used), RESP_OK);
    CHECK_INT(used, sizeof(cmd) - 1);
    CHECK_INT(p.argc, 3);
    const char inl[] = "set \"a b\" c\r\n";
    CHECK_INT(feed_bytewise(&p, inl, sizeof(inl) - 1, &used), RESP_OK);
    CHECK_INT(used, sizeof(inl) - 1);
    CHECK_INT(p.argc, 3);
    resp_request_free(&p);
}

TEST(proto_req_bytewise_resume_after_move) {
    /* Parse twice from different buffers with more data each time; the
     * argument offsets must follow the bytes, not the old address. */
    const char cmd[] = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    char *a = mem_memdup(cmd, 20);
    CHECK_INT(resp_request_parse(&p, a, 20, &used), RESP_INCOMPLETE);
    mem_free(a);
    char *b = mem_memdup(cmd, sizeof(cmd) - 1);
    CHECK_INT(resp_request_parse(&p, b, sizeof(cmd) - 1, &used), RESP_OK);
    CHECK(p.argv[0].ptr == b + 8);
    ARG_IS(&p, 1, "hello");
    mem_free(b);
    resp_request_free(&p);
}

TEST(proto_req_binary) {
    const char cmd[] = "*2\r\n$4\r\nECHO\r\n$6\r\na\0\r\nb\n\r\n";
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(parse_str(&p, cmd, sizeof(cmd) - 1, &used), RESP_OK);
    CHECK_INT(p.argv[1].len, 6);
    CHECK(memcmp(p.argv[1].ptr, "a\0\r\nb\n", 6) == 0);
    resp_request_free(&p);
}

TEST(proto_req_empty_commands) {
    static const struct {
        const char *s;
        size_t used;
    } cases[] = {
        {"*0\r\nPING\r\n", 4}, {"*-1\r\n", 5}, {"*-5\r\n", 5}, {"\r\n", 2}, {"\n", 1},
        {"   \t\r\n", 6},      {"*0\rX", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        resp_request_parser p;
        resp_request_init(&p);
        size_t used;
        CHECK_INT(parse_str(&p, cases[i].s, strlen(cases[i].s), &used), RESP_OK);
        CHECK_INT(p.argc, 0);
        CHECK_INT(used, cases[i].used);
        resp_request_free(&p);
    }
}

TEST(proto_req_error_texts) {
    CHECK_STR(REQ_ERROR("*abc\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*-0\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*01\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*+1\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*1048577\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*1048576\r\n"), "");
    CHECK_STR(REQ_ERROR("*99999999999999999999\r\n"), "Protocol error: invalid multibulk length");
    CHECK_STR(REQ_ERROR("*1\r\n:3\r\nabc\r\n"), "Protocol error: expected '$', got ':'");
    CHECK_STR(REQ_ERROR("*2\r$4\r\nECHO$1\r\naXY"), "Protocol error: expected '$', got '4'");
    CHECK_STR(REQ_ERROR("*1\r\n\r\n"), "Protocol error: expected '$', got ' '");
    CHECK_STR(REQ_ERROR("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
    CHECK_STR(REQ_ERROR("*1\r\n$01\r\na\r\n"), "Protocol error: invalid bulk length");
    CHECK_STR(REQ_ERROR("*1\r\n$x\r\n"), "Protocol error: invalid bulk length");
    CHECK_STR(REQ_ERROR("*1\r\n$\r\n"), "Protocol error: invalid bulk length");
    CHECK_STR(REQ_ERROR("*1\r\n$536870913\r\n"), "Protocol error: invalid bulk length");
    CHECK_STR(REQ_ERROR("*1\r\n$536870912\r\n"), "");
    CHECK_STR(REQ_ERROR("\"abc\r\n"), "Protocol error: unbalanced quotes in request");
    CHECK_STR(REQ_ERROR("set 'abc\r\n"), "Protocol error: unbalanced quotes in request");
    CHECK_STR(REQ_ERROR("\"a\"b\r\n"), "Protocol error: unbalanced quotes in request");
    CHECK_STR(REQ_ERROR("'a'b\r\n"), "Protocol error: unbalanced quotes in request");
    CHECK_STR(REQ_ERROR("\"a\\\"\r\n"), "Protocol error: unbalanced quotes in request");

    size_t big = 70000;
    char *s = mem_alloc(big + 8);
    memset(s, 'a', big);
    CHECK_STR(req_error(s, big), "Protocol error: too big inline request");
    CHECK_STR(req_error(s, 64 * 1024), ""); /* exactly the limit: still waiting */
    s[0] = '*';
    memset(s + 1, '1', big - 1);
    CHECK_STR(req_error(s, big), "Protocol error: too big mbulk count string");
    memcpy(s, "*1\r\n$", 5);
    CHECK_STR(req_error(s, big), "Protocol error: too big bulk count string");
    /* A '\r' as the last byte: Redis waits for one more byte, without a size check. */
    s[big - 1] = '\r';
    CHECK_STR(req_error(s, big), "");
    mem_free(s);
}

TEST(proto_req_unauthenticated) {
    resp_request_parser p;
    resp_request_init(&p);
    p.unauthenticated = 1;
    size_t used;
    CHECK_INT(parse_str(&p, "*11\r\n", 5, &used), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: unauthenticated multibulk length");
    CHECK_INT(parse_str(&p, "*1\r\n$16385\r\n", 12, &used), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: unauthenticated bulk length");
    CHECK_INT(parse_str(&p, "*10\r\n$16384\r\n", 13, &used), RESP_INCOMPLETE);
    resp_request_free(&p);
}

TEST(proto_req_nul_quirk) {
    /* Redis finds line ends with strchr, so a NUL hides them: the command
     * never completes and ends as a "too big" error. */
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(parse_str(&p, "*1\0\r\n$4\r\nPING\r\n", 15, &used), RESP_INCOMPLETE);
    resp_request_free(&p);
    resp_request_init(&p);
    CHECK_INT(parse_str(&p, "PI\0NG\r\nPING\r\n", 13, &used), RESP_INCOMPLETE);
    resp_request_free(&p);
    resp_request_init(&p);
    p.max_inline_len = 8;
    CHECK_INT(parse_str(&p, "*1\r\n$4\0\r\nPING\r\n\r\n\r\n", 19, &used), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: too big bulk count string");
    resp_request_free(&p);
}

TEST(proto_req_cr_skip_quirk) {
    /* After '\r' one byte is skipped whatever it is, and so are the two
     * bytes after a payload. */
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(parse_str(&p, "*1\rX$4\rXPINGxx", 14, &used), RESP_OK);
    CHECK_INT(used, 14);
    ARG_IS(&p, 0, "PING");
    CHECK_INT(parse_str(&p, "*1\r", 3, &used), RESP_INCOMPLETE);
    CHECK_INT(parse_str(&p, "*1\r\n$4\r\nPINGx", 13, &used), RESP_INCOMPLETE);
    resp_request_free(&p);
}

static int split(resp_request_parser *p, const char *line) {
    size_t used;
    return resp_request_parse(p, line, strlen(line), &used);
}

TEST(proto_req_inline_quoting) {
    resp_request_parser p;
    resp_request_init(&p);
    CHECK_INT(split(&p, "set \"a b\" 'c d'\r\n"), RESP_OK);
    CHECK_INT(p.argc, 3);
    ARG_IS(&p, 1, "a b");
    ARG_IS(&p, 2, "c d");
    CHECK_INT(split(&p, "echo \"\\x41\\x4g\\q\\n\\r\\t\\b\\a\\\\\\\"\"\n"), RESP_OK);
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 1, "Ax4gq\n\r\t\b\a\\\"");
    CHECK_INT(split(&p, "echo \"\\xff\\x00\"\n"), RESP_OK);
    CHECK_INT(p.argv[1].len, 2);
    CHECK(memcmp(p.argv[1].ptr, "\xff\0", 2) == 0);
    CHECK_INT(split(&p, "echo 'it\\'s' 'a\\nb'\n"), RESP_OK);
    ARG_IS(&p, 1, "it's");
    ARG_IS(&p, 2, "a\\nb");
    CHECK_INT(split(&p, "echo a\"b c\"\r\n"), RESP_OK); /* quotes may open mid-word */
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 1, "ab c");
    CHECK_INT(split(&p, "echo a\vb\r\n"), RESP_OK); /* \v ends no word... */
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 1, "a\vb");
    CHECK_INT(split(&p, "\v\fecho  x\t\n"), RESP_OK); /* ...but is skipped between words */
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 0, "echo");
    CHECK_INT(split(&p, "a\rb\r\r\n"), RESP_OK);
    CHECK_INT(p.argc, 2);
    ARG_IS(&p, 1, "b");
    CHECK_INT(split(&p, "\"\" ''\n"), RESP_OK);
    CHECK_INT(p.argc, 2);
    CHECK_INT(p.argv[0].len, 0);
    CHECK_INT(p.argv[1].len, 0);
    CHECK_INT(split(&p, "PING"), RESP_INCOMPLETE);
    resp_request_free(&p);
}

TEST(proto_req_limits) {
    resp_request_parser p;
    resp_request_init(&p);
    p.max_args = 2;
    p.max_bulk_len = 4;
    p.max_inline_len = 8;
    CHECK_INT(split(&p, "*3\r\n"), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: invalid multibulk length");
    CHECK_INT(split(&p, "*2\r\n$5\r\n"), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: invalid bulk length");
    CHECK_INT(split(&p, "*2\r\n$4\r\nabcd\r\n$0\r\n\r\n"), RESP_OK);
    CHECK_INT(split(&p, "123456789"), RESP_ERROR);
    CHECK_STR(p.error, "Protocol error: too big inline request");
    CHECK_INT(split(&p, "12345678"), RESP_INCOMPLETE);
    resp_request_free(&p);
}

TEST(proto_req_pending_bulk) {
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(resp_request_pending_bulk(&p), 0);
    CHECK_INT(parse_str(&p, "*1\r\n$100\r\nabc", 13, &used), RESP_INCOMPLETE);
    CHECK_INT(resp_request_pending_bulk(&p), 99);
    CHECK_INT(parse_str(&p, "*1\r\n$100\r\nabcd", 14, &used), RESP_INCOMPLETE);
    CHECK_INT(resp_request_pending_bulk(&p), 98);
    resp_request_free(&p);
}

TEST(proto_req_no_prealloc) {
    resp_request_parser p;
    resp_request_init(&p);
    size_t used, before = mem_used();
    CHECK_INT(parse_str(&p, "*1000000\r\n", 10, &used), RESP_INCOMPLETE);
    CHECK(mem_used() - before < 1024);
    CHECK_INT(parse_str(&p, "*1000000\r\n$1\r\na\r\n", 17, &used), RESP_INCOMPLETE);
    CHECK(mem_used() - before < 1024);
    CHECK_INT(parse_str(&p, "*1\r\n$536870912\r\n", 16, &used), RESP_INCOMPLETE);
    CHECK(mem_used() - before < 1024);
    resp_request_free(&p);
}

TEST(proto_req_many_args_and_shrink) {
    int n = 5000;
    resp_buf b = {0};
    char hdr[RESP_HDR_MAX];
    resp_buf_append(&b, hdr, resp_encode_header(hdr, '*', n));
    for (int i = 0; i < n; i++)
        resp_write_bulk(&b, "x", 1);
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(resp_request_parse(&p, b.data, b.len, &used), RESP_OK);
    CHECK_INT(p.argc, n);
    CHECK_INT(used, b.len);
    CHECK_INT(split(&p, "PING\r\n"), RESP_OK);
    CHECK(p.argcap_ <= 1024);
    resp_request_free(&p);
    resp_buf_free(&b);
}

TEST(proto_req_shrunk_buffer) {
    /* Outside the contract, but must not read out of bounds. */
    resp_request_parser p;
    resp_request_init(&p);
    size_t used;
    CHECK_INT(parse_str(&p, "*2\r\n$3\r\nabc\r\n$4\r\nab", 19, &used), RESP_INCOMPLETE);
    CHECK_INT(parse_str(&p, "*2\r\n$3", 6, &used), RESP_INCOMPLETE);
    CHECK_INT(parse_str(&p, "*2\r\n$3\r\nabc\r\n$1\r\nx\r\n", 20, &used), RESP_OK);
    ARG_IS(&p, 1, "x");
    resp_request_free(&p);
}

/* ---- encoders ---- */

TEST(proto_ll2str) {
    static const struct {
        long long v;
        const char *s;
    } cases[] = {
        {0, "0"},
        {-1, "-1"},
        {9, "9"},
        {10, "10"},
        {99, "99"},
        {100, "100"},
        {-100, "-100"},
        {1234, "1234"},
        {12345, "12345"},
        {LLONG_MAX, "9223372036854775807"},
        {LLONG_MIN, "-9223372036854775808"},
        {1000000000000LL, "1000000000000"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = resp_ll2str(buf, cases[i].v);
        CHECK_MEM(buf, n, cases[i].s);
    }
    /* Agrees with printf across magnitudes. */
    for (long long v = 1, i = 0; i < 62; i++, v *= 2) {
        char want[32];
        snprintf(want, sizeof(want), "%lld", v - 1);
        size_t n = resp_ll2str(buf, v - 1);
        CHECK_MEM(buf, n, want);
        snprintf(want, sizeof(want), "%lld", -v);
        n = resp_ll2str(buf, -v);
        CHECK_MEM(buf, n, want);
    }
}

TEST(proto_encode_header) {
    char buf[RESP_HDR_MAX];
    size_t n = resp_encode_header(buf, '*', 0);
    CHECK_MEM(buf, n, "*0\r\n");
    n = resp_encode_header(buf, '$', -1);
    CHECK_MEM(buf, n, "$-1\r\n");
    n = resp_encode_header(buf, '%', 12);
    CHECK_MEM(buf, n, "%12\r\n");
    n = resp_encode_header(buf, ':', LLONG_MIN);
    CHECK_MEM(buf, n, ":-9223372036854775808\r\n");
    CHECK(n <= RESP_HDR_MAX);
    n = resp_encode_header(buf, '>', LLONG_MAX);
    CHECK_MEM(buf, n, ">9223372036854775807\r\n");
}

TEST(proto_d2str) {
    char buf[32];
    size_t n = resp_d2str(buf, 1.5);
    CHECK_MEM(buf, n, "1.5");
    n = resp_d2str(buf, 0.1);
    CHECK_MEM(buf, n, "0.10000000000000001");
    n = resp_d2str(buf, 3);
    CHECK_MEM(buf, n, "3");
    n = resp_d2str(buf, INFINITY);
    CHECK_MEM(buf, n, "inf");
    n = resp_d2str(buf, -INFINITY);
    CHECK_MEM(buf, n, "-inf");
    n = resp_d2str(buf, NAN);
    CHECK_MEM(buf, n, "nan");
    n = resp_d2str(buf, -0.0);
    CHECK_MEM(buf, n, "-0");
    n = resp_d2str(buf, 1e300);
    CHECK_MEM(buf, n, "1.0000000000000001e+300");
    n = resp_d2str(buf, -2.2250738585072014e-308);
    CHECK_MEM(buf, n, "-2.2250738585072014e-308");
}

#define OUT_IS(b, s)                                                                               \
    do {                                                                                           \
        CHECK_MEM((b).data, (b).len, s);                                                           \
        (b).len = 0;                                                                               \
    } while (0)

TEST(proto_write_types) {
    resp_buf b = {0};
    resp_write_simple(&b, "OK", 2);
    OUT_IS(b, "+OK\r\n");
    resp_write_error(&b, "ERR x", 5);
    OUT_IS(b, "-ERR x\r\n");
    resp_write_int(&b, -42);
    OUT_IS(b, ":-42\r\n");
    resp_write_bulk(&b, "a\0b", 3);
    CHECK_INT(b.len, 9);
    CHECK(memcmp(b.data, "$3\r\na\0b\r\n", 9) == 0);
    b.len = 0;
    resp_write_bulk(&b, "", 0);
    OUT_IS(b, "$0\r\n\r\n");
    resp_write_null(&b, 0);
    OUT_IS(b, "$-1\r\n");
    resp_write_null(&b, 1);
    OUT_IS(b, "_\r\n");
    resp_write_double(&b, 1.5, 0);
    OUT_IS(b, "$3\r\n1.5\r\n");
    resp_write_double(&b, 0.1, 1);
    OUT_IS(b, ",0.10000000000000001\r\n");
    resp_write_double(&b, -INFINITY, 1);
    OUT_IS(b, ",-inf\r\n");
    resp_write_double(&b, INFINITY, 0);
    OUT_IS(b, "$3\r\ninf\r\n");
    resp_write_bool(&b, 1, 1);
    OUT_IS(b, "#t\r\n");
    resp_write_bool(&b, 0, 1);
    OUT_IS(b, "#f\r\n");
    resp_write_bool(&b, 1, 0);
    OUT_IS(b, ":1\r\n");
    resp_write_bool(&b, 0, 0);
    OUT_IS(b, ":0\r\n");
    resp_write_bignum(&b, "12345678901234567890", 20, 1);
    OUT_IS(b, "(12345678901234567890\r\n");
    resp_write_bignum(&b, "-1", 2, 0);
    OUT_IS(b, "$2\r\n-1\r\n");
    resp_write_verbatim(&b, "txt", "hello", 5, 1);
    OUT_IS(b, "=9\r\ntxt:hello\r\n");
    resp_write_verbatim(&b, "mkd", "hello", 5, 0);
    OUT_IS(b, "$5\r\nhello\r\n");
    /* Growth across many appends keeps the content. */
    for (int i = 0; i < 10000; i++)
        resp_write_int(&b, i);
    CHECK(b.len > 10000 * 4);
    CHECK(memcmp(b.data + b.len - 7, ":9999\r\n", 7) == 0);
    resp_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

TEST(proto_write_agg) {
    resp_buf b = {0};
    resp_write_agg(&b, '*', 3, 0);
    OUT_IS(b, "*3\r\n");
    resp_write_agg(&b, '%', 2, 1);
    OUT_IS(b, "%2\r\n");
    resp_write_agg(&b, '%', 2, 0);
    OUT_IS(b, "*4\r\n");
    resp_write_agg(&b, '~', 5, 1);
    OUT_IS(b, "~5\r\n");
    resp_write_agg(&b, '~', 5, 0);
    OUT_IS(b, "*5\r\n");
    resp_write_agg(&b, '>', 3, 1);
    OUT_IS(b, ">3\r\n");
    resp_write_agg(&b, '>', 3, 0);
    OUT_IS(b, "*3\r\n");
    resp_write_agg(&b, '|', 1, 1);
    OUT_IS(b, "|1\r\n");
    resp_write_agg(&b, '|', 1, 0);
    CHECK_INT(b.len, 0);
    resp_write_agg(&b, '*', -1, 0);
    OUT_IS(b, "*-1\r\n");
    resp_write_agg(&b, '*', -1, 1);
    OUT_IS(b, "_\r\n");
    resp_buf_free(&b);
}

TEST(proto_write_command) {
    resp_buf b = {0};
    const char *argv[] = {"SET", "k", "v\r\n"};
    size_t lens[] = {3, 1, 3};
    resp_write_command(&b, 3, argv, lens);
    OUT_IS(b, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n");
    resp_buf_free(&b);
}

/* ---- reader ---- */

/* Reads exactly one reply from s; NULL (and *err set) on error. */
static resp_value *read_one(const char *s, size_t len, const char **err) {
    static char msg[128];
    resp_reader *r = resp_reader_new();
    void *reply = NULL;
    resp_reader_feed(r, s, len);
    *err = NULL;
    if (resp_reader_get_reply(r, &reply) != RESP_OK) {
        snprintf(msg, sizeof(msg), "%s", resp_reader_error(r));
        *err = msg;
    }
    resp_reader_free(r);
    return reply;
}
#define READ(lit, errp) read_one(lit, sizeof(lit) - 1, errp)

TEST(proto_reader_scalars) {
    const char *err;
    resp_value *v = READ("+OK\r\n", &err);
    CHECK(v && v->type == RESP_T_SIMPLE);
    CHECK_STR(v->str, "OK");
    resp_value_free(v);
    v = READ("-ERR bad\r\n", &err);
    CHECK(v && v->type == RESP_T_ERROR);
    CHECK_STR(v->str, "ERR bad");
    resp_value_free(v);
    v = READ("!5\r\nERR x\r\n", &err);
    CHECK(v && v->type == RESP_T_ERROR);
    CHECK_STR(v->str, "ERR x");
    resp_value_free(v);
    v = READ(":-9223372036854775808\r\n", &err);
    CHECK(v && v->type == RESP_T_INT && v->integer == LLONG_MIN);
    resp_value_free(v);
    v = READ("$5\r\na\r\n\0b\r\n", &err);
    CHECK(v && v->type == RESP_T_BULK && v->len == 5);
    CHECK(memcmp(v->str, "a\r\n\0b", 5) == 0);
    resp_value_free(v);
    v = READ("$0\r\n\r\n", &err);
    CHECK(v && v->type == RESP_T_BULK && v->len == 0);
    resp_value_free(v);
    v = READ("$-1\r\n", &err);
    CHECK(v && v->type == RESP_T_NULL);
    resp_value_free(v);
    v = READ("*-1\r\n", &err);
    CHECK(v && v->type == RESP_T_NULL);
    resp_value_free(v);
    v = READ("_\r\n", &err);
    CHECK(v && v->type == RESP_T_NULL);
    resp_value_free(v);
    v = READ("#t\r\n", &err);
    CHECK(v && v->type == RESP_T_BOOL && v->integer == 1);
    resp_value_free(v);
    v = READ("#f\r\n", &err);
    CHECK(v && v->type == RESP_T_BOOL && v->integer == 0);
    resp_value_free(v);
    v = READ(",3.25\r\n", &err);
    CHECK(v && v->type == RESP_T_DOUBLE && v->dval == 3.25);
    CHECK_STR(v->str, "3.25");
    resp_value_free(v);
    v = READ(",-inf\r\n", &err);
    CHECK(v && v->type == RESP_T_DOUBLE && isinf(v->dval) && v->dval < 0);
    resp_value_free(v);
    v = READ(",nan\r\n", &err);
    CHECK(v && v->type == RESP_T_DOUBLE && isnan(v->dval));
    resp_value_free(v);
    v = READ("(-3492890328409238509324850943850943825024385\r\n", &err);
    CHECK(v && v->type == RESP_T_BIGNUM);
    CHECK_STR(v->str, "-3492890328409238509324850943850943825024385");
    resp_value_free(v);
    v = READ("=15\r\ntxt:Some string\r\n", &err);
    CHECK(v && v->type == RESP_T_VERBATIM && v->len == 11);
    CHECK_STR(v->vtype, "txt");
    CHECK_STR(v->str, "Some string");
    resp_value_free(v);
}

TEST(proto_reader_aggregates) {
    const char *err;
    resp_value *v = READ("*3\r\n:1\r\n*1\r\n+a\r\n%1\r\n$1\r\nk\r\n~2\r\n#t\r\n_\r\n", &err);
    CHECK(v && v->type == RESP_T_ARRAY && v->elements == 3);
    CHECK(v->element[0]->type == RESP_T_INT);
    CHECK(v->element[1]->type == RESP_T_ARRAY && v->element[1]->elements == 1);
    resp_value *m = v->element[2];
    CHECK(m->type == RESP_T_MAP && m->elements == 2);
    CHECK_STR(m->element[0]->str, "k");
    CHECK(m->element[1]->type == RESP_T_SET && m->element[1]->elements == 2);
    resp_value_free(v);
    v = READ("*0\r\n", &err);
    CHECK(v && v->type == RESP_T_ARRAY && v->elements == 0);
    resp_value_free(v);
    v = READ("%0\r\n", &err);
    CHECK(v && v->type == RESP_T_MAP && v->elements == 0);
    resp_value_free(v);
    v = READ(">3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n", &err);
    CHECK(v && v->type == RESP_T_PUSH && v->elements == 3);
    resp_value_free(v);
    /* 100 elements: the default builder's arrays grow as children arrive. */
    resp_buf b = {0};
    resp_write_agg(&b, '*', 100, 1);
    for (int i = 0; i < 100; i++)
        resp_write_int(&b, i);
    v = read_one(b.data, b.len, &err);
    CHECK(v && v->elements == 100 && v->element[99]->integer == 99);
    resp_value_free(v);
    resp_buf_free(&b);
}

TEST(proto_reader_pipeline) {
    resp_reader *r = resp_reader_new();
    const char s[] = "+a\r\n:2\r\n*1\r\n$1\r\nc\r\n+partial";
    CHECK_INT(resp_reader_feed(r, s, sizeof(s) - 1), RESP_OK);
    void *reply;
    resp_value *v;
    for (int i = 0; i < 3; i++) {
        CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
        CHECK(reply != NULL);
        resp_value_free(reply);
    }
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    CHECK(reply == NULL);
    resp_reader_feed(r, "\r\n", 2);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    v = reply;
    CHECK(v && v->type == RESP_T_SIMPLE);
    CHECK_STR(v->str, "partial");
    resp_value_free(v);
    resp_reader_free(r);
}

static int depth_ok(int levels, int max_depth) {
    resp_buf b = {0};
    for (int i = 0; i < levels; i++)
        resp_write_agg(&b, '*', 1, 1);
    resp_write_int(&b, 1);
    resp_reader *r = resp_reader_new();
    if (max_depth) resp_reader_set_max_depth(r, max_depth);
    resp_reader_feed(r, b.data, b.len);
    void *reply;
    int rc = resp_reader_get_reply(r, &reply);
    resp_value_free(reply);
    resp_reader_free(r);
    resp_buf_free(&b);
    return rc;
}

TEST(proto_reader_depth_limit) {
    CHECK_INT(depth_ok(7, 0), RESP_OK);
    CHECK_INT(depth_ok(8, 0), RESP_ERROR);
    CHECK_INT(depth_ok(64, 64), RESP_OK);
    CHECK_INT(depth_ok(65, 64), RESP_ERROR);
    CHECK_INT(depth_ok(2, 1), RESP_ERROR);
    resp_reader *r = resp_reader_new();
    CHECK_INT(resp_reader_set_max_depth(r, 65), RESP_ERROR);
    CHECK_INT(resp_reader_set_max_depth(r, 0), RESP_ERROR);
    resp_reader_free(r);
    const char *err;
    resp_value *v = READ("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", &err);
    CHECK(v == NULL);
    CHECK_STR(err, "Protocol error: nesting deeper than 7");
}

TEST(proto_reader_attribute) {
    const char *err;
    resp_value *v =
        READ("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:1\r\n:2\r\n", &err);
    CHECK(v && v->type == RESP_T_ARRAY && v->elements == 2);
    CHECK(v->attribute && v->attribute->type == RESP_T_ATTR && v->attribute->elements == 2);
    CHECK_STR(v->attribute->element[0]->str, "key-popularity");
    CHECK(v->attribute->element[1]->type == RESP_T_MAP);
    resp_value_free(v);
    /* Inside an aggregate, annotating one element, not counted as one. */
    v = READ("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nx\r\n", &err);
    CHECK(v && v->elements == 2);
    CHECK(v->element[0]->attribute == NULL);
    CHECK(v->element[1]->type == RESP_T_BULK && v->element[1]->attribute);
    CHECK_INT(v->element[1]->attribute->element[1]->integer, 3600);
    resp_value_free(v);
    /* An error mid-reply frees pending attributes too (checked by ASan). */
    v = READ("*2\r\n|1\r\n+a\r\n+b\r\n@", &err);
    CHECK(v == NULL && err != NULL);
}

TEST(proto_reader_split_feeds) {
    const char s[] = "*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n,1.5\r\n|1\r\n+a\r\n#t\r\n=7\r\ntxt:abc\r\n"
                     ":-7\r\n";
    size_t len = sizeof(s) - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        resp_reader *r = resp_reader_new();
        void *reply = NULL;
        resp_reader_feed(r, s, cut);
        CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
        if (cut < len - 5) CHECK(reply == NULL);
        resp_reader_feed(r, s + cut, len - cut);
        if (!reply) CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
        resp_value *v = reply;
        CHECK(v && v->type == RESP_T_ARRAY && v->elements == 3);
        CHECK(v->element[2]->attribute != NULL);
        resp_value_free(v);
        CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
        v = reply;
        CHECK(v && v->integer == -7);
        resp_value_free(v);
        resp_reader_free(r);
    }
    /* Byte by byte. */
    resp_reader *r = resp_reader_new();
    int got = 0;
    for (size_t i = 0; i < len; i++) {
        void *reply;
        resp_reader_feed(r, s + i, 1);
        CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
        if (reply) got++;
        resp_value_free(reply);
    }
    CHECK_INT(got, 2);
    resp_reader_free(r);
}

TEST(proto_reader_sticky_error) {
    resp_reader *r = resp_reader_new();
    void *reply;
    resp_reader_feed(r, "+ok\r\n@foo\r\n", 11);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    CHECK(reply != NULL);
    resp_value_free(reply);
    CHECK(resp_reader_error(r) == NULL);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_ERROR);
    CHECK(reply == NULL);
    CHECK_STR(resp_reader_error(r), "Protocol error: invalid reply type byte '@'");
    CHECK_INT(resp_reader_feed(r, "+ok\r\n", 5), RESP_ERROR);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_ERROR);
    CHECK_STR(resp_reader_error(r), "Protocol error: invalid reply type byte '@'");
    resp_reader_free(r);
    const char *err;
    CHECK(READ("\x01", &err) == NULL);
    CHECK_STR(err, "Protocol error: invalid reply type byte '\\x01'");
}

TEST(proto_reader_errors) {
    static const struct {
        const char *in, *err;
    } cases[] = {
        {"$?\r\n", "Protocol error: streamed strings are not supported"},
        {"*?\r\n", "Protocol error: streamed aggregates are not supported"},
        {"$-2\r\n", "Protocol error: invalid bulk length"},
        {"$x\r\n", "Protocol error: invalid bulk length"},
        {"!-1\r\n", "Protocol error: invalid bulk length"},
        {"%-1\r\n", "Protocol error: invalid aggregate length"},
        {"*-2\r\n", "Protocol error: invalid aggregate length"},
        {"$3\r\nabcXY", "Protocol error: bulk string not followed by CRLF"},
        {"=3\r\ntxt\r\n", "Protocol error: invalid verbatim string"},
        {"=4\r\ntxt!\r\n", "Protocol error: invalid verbatim string"},
        {"#x\r\n", "Protocol error: invalid boolean"},
        {"_x\r\n", "Protocol error: invalid null"},
        {":12a\r\n", "Protocol error: invalid integer"},
        {":\r\n", "Protocol error: invalid integer"},
        {":9223372036854775808\r\n", "Protocol error: invalid integer"},
        {", 1\r\n", "Protocol error: invalid double"},
        {",1.5x\r\n", "Protocol error: invalid double"},
        {"(12a\r\n", "Protocol error: invalid big number"},
        {"+a\rb\r\n", "Protocol error: '\\r' without '\\n'"},
        {":11111111111111111111111111111111111111111111111111111111111111111111",
         "Protocol error: line of type ':' too long"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *err;
        resp_value *v = read_one(cases[i].in, strlen(cases[i].in), &err);
        CHECK(v == NULL);
        CHECK(err != NULL);
        CHECK_STR(err, cases[i].err);
    }
}

TEST(proto_reader_limits) {
    resp_reader *r = resp_reader_new();
    void *reply;
    CHECK_INT(resp_reader_set_max_bulk(r, 3), RESP_OK);
    CHECK_INT(resp_reader_set_max_elements(r, 2), RESP_OK);
    resp_reader_feed(r, "$3\r\nabc\r\n*2\r\n%2\r\n", 17);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    resp_value_free(reply);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK); /* "*2" and "%2" are within limits */
    CHECK(reply == NULL);
    resp_reader_free(r);
    r = resp_reader_new();
    resp_reader_set_max_elements(r, 2);
    resp_reader_feed(r, "*3\r\n", 4);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_ERROR);
    CHECK_STR(resp_reader_error(r), "Protocol error: aggregate of 3 elements exceeds the limit 2");
    resp_reader_free(r);
    r = resp_reader_new();
    resp_reader_set_max_bulk(r, 3);
    resp_reader_feed(r, "$4\r\n", 4);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_ERROR);
    CHECK_STR(resp_reader_error(r), "Protocol error: bulk length 4 exceeds the limit 3");
    resp_reader_free(r);
    /* An announced huge array costs nothing until its elements arrive. */
    r = resp_reader_new();
    size_t before = mem_used();
    resp_reader_feed(r, "*4000000000\r\n", 13);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    CHECK(reply == NULL);
    CHECK(mem_used() - before < 4096);
    resp_reader_free(r);
}

/* A builder that records what it was asked, to check tasks. */
struct trace {
    char log[512];
    size_t len;
};

static void trace_add(const resp_task *t, const char *what) {
    struct trace *tr = t->privdata;
    int n = snprintf(tr->log + tr->len, sizeof(tr->log) - tr->len, "%s@%lld/%d;", what, t->idx,
                     t->parent ? (int)t->parent->type : -1);
    if (n > 0) tr->len += (size_t)n;
}
static int dummy_obj;
static void *tr_string(const resp_task *t, const char *s, size_t n) {
    (void)s, (void)n;
    trace_add(t, "s");
    return &dummy_obj;
}
static void *tr_array(const resp_task *t, size_t n) {
    (void)n;
    trace_add(t, "a");
    return &dummy_obj;
}
static void *tr_int(const resp_task *t, long long v) {
    (void)v;
    trace_add(t, "i");
    return &dummy_obj;
}
static void *tr_double(const resp_task *t, double d, const char *s, size_t n) {
    (void)d, (void)s, (void)n;
    trace_add(t, "d");
    return &dummy_obj;
}
static void *tr_nil(const resp_task *t) {
    trace_add(t, "n");
    return NULL; /* builder failure */
}
static void *tr_bool(const resp_task *t, int v) {
    (void)v;
    trace_add(t, "b");
    return &dummy_obj;
}

TEST(proto_reader_custom_builder) {
    struct trace tr = {{0}, 0};
    resp_builder fns = {tr_string, tr_array, tr_int, tr_double, tr_nil, tr_bool, NULL, NULL};
    resp_reader *r = resp_reader_new_with(&fns, &tr);
    CHECK(r != NULL);
    void *reply;
    const char in[] = "*2\r\n:1\r\n%1\r\n+k\r\n,2\r\n|1\r\n#t\r\n#f\r\n$1\r\nx\r\n";
    resp_reader_feed(r, in, sizeof(in) - 1);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    CHECK(reply == &dummy_obj);
    CHECK_STR(tr.log, "a@-1/-1;i@0/5;a@1/5;s@0/6;d@1/6;");
    tr.len = 0;
    tr.log[0] = 0;
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
    CHECK_STR(tr.log, "a@-1/-1;b@0/9;b@1/9;s@-1/-1;");
    resp_reader_feed(r, "_\r\n", 3);
    CHECK_INT(resp_reader_get_reply(r, &reply), RESP_ERROR);
    CHECK_STR(resp_reader_error(r), "reply builder failed");
    resp_reader_free(r);
    fns.create_bool = NULL;
    CHECK(resp_reader_new_with(&fns, NULL) == NULL);
}

/* ---- round trip: random trees -> encoders -> reader -> compare ---- */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static resp_value *random_value(int depth, int resp3) {
    resp_value *v = mem_calloc(sizeof(*v));
    int scalar_types = resp3 ? 10 : 5;
    int pick = depth <= 0 ? (int)rnd((unsigned)scalar_types) : (int)rnd((unsigned)scalar_types + 4);
    static const resp_type scalars[] = {RESP_T_SIMPLE,   RESP_T_ERROR,  RESP_T_INT,  RESP_T_BULK,
                                        RESP_T_NULL,     RESP_T_DOUBLE, RESP_T_BOOL, RESP_T_BIGNUM,
                                        RESP_T_VERBATIM, RESP_T_BULK};
    static const resp_type aggs3[] = {RESP_T_ARRAY, RESP_T_MAP, RESP_T_SET, RESP_T_PUSH};
    if (pick < scalar_types) {
        v->type = scalars[pick];
    } else {
        v->type = resp3 ? aggs3[pick - scalar_types] : RESP_T_ARRAY;
    }
    char tmp[64];
    switch (v->type) {
    case RESP_T_SIMPLE:
    case RESP_T_ERROR:
    case RESP_T_BULK:
    case RESP_T_VERBATIM: {
        v->len = rnd(4) == 0 ? rnd(300) : rnd(12);
        v->str = mem_alloc(v->len + 1);
        for (size_t i = 0; i < v->len; i++) {
            unsigned c =
                v->type == RESP_T_BULK || v->type == RESP_T_VERBATIM ? rnd(256) : 32 + rnd(95);
            v->str[i] = (char)c;
        }
        v->str[v->len] = 0;
        if (v->type == RESP_T_VERBATIM) memcpy(v->vtype, rnd(2) ? "txt" : "mkd", 4);
        break;
    }
    case RESP_T_INT:
        v->integer = (long long)(((unsigned long long)rnd(1u << 31) << 33) ^ rnd(1u << 31)) *
                     (rnd(2) ? 1 : -1);
        break;
    case RESP_T_DOUBLE:
        v->dval = rnd(10) == 0 ? INFINITY : (double)(int)rnd(100000) / (1 + rnd(1000)) - 50;
        v->len = resp_d2str(tmp, v->dval);
        v->str = mem_memdup(tmp, v->len + 1);
        v->str[v->len] = 0;
        break;
    case RESP_T_BOOL:
        v->integer = rnd(2);
        break;
    case RESP_T_BIGNUM:
        v->len = 1 + rnd(40);
        v->str = mem_alloc(v->len + 1);
        for (size_t i = 0; i < v->len; i++)
            v->str[i] = (char)('0' + rnd(10));
        v->str[v->len] = 0;
        break;
    case RESP_T_NULL:
        break;
    default: {
        size_t n = rnd(6);
        if (v->type == RESP_T_MAP) n *= 2;
        v->elements = n;
        v->element = mem_alloc((n ? n : 1) * sizeof(*v->element));
        for (size_t i = 0; i < n; i++)
            v->element[i] = random_value(depth - 1, resp3);
        break;
    }
    }
    if (resp3 && depth > 0 && rnd(8) == 0) {
        resp_value *a = mem_calloc(sizeof(*a));
        a->type = RESP_T_ATTR;
        a->elements = 2;
        a->element = mem_alloc(2 * sizeof(*a->element));
        a->element[0] = random_value(0, resp3);
        a->element[1] = random_value(depth - 1, resp3);
        v->attribute = a;
    }
    return v;
}

static void write_value(resp_buf *b, const resp_value *v, int resp3) {
    if (v->attribute) {
        resp_write_agg(b, '|', (long long)v->attribute->elements / 2, resp3);
        for (size_t i = 0; i < v->attribute->elements; i++)
            write_value(b, v->attribute->element[i], resp3);
    }
    switch (v->type) {
    case RESP_T_SIMPLE:
        resp_write_simple(b, v->str, v->len);
        break;
    case RESP_T_ERROR:
        resp_write_error(b, v->str, v->len);
        break;
    case RESP_T_INT:
        resp_write_int(b, v->integer);
        break;
    case RESP_T_BULK:
        resp_write_bulk(b, v->str, v->len);
        break;
    case RESP_T_NULL:
        resp_write_null(b, resp3);
        break;
    case RESP_T_DOUBLE:
        resp_write_double(b, v->dval, resp3);
        break;
    case RESP_T_BOOL:
        resp_write_bool(b, (int)v->integer, resp3);
        break;
    case RESP_T_BIGNUM:
        resp_write_bignum(b, v->str, v->len, resp3);
        break;
    case RESP_T_VERBATIM:
        resp_write_verbatim(b, v->vtype, v->str, v->len, resp3);
        break;
    default: {
        char t = v->type == RESP_T_MAP    ? '%'
                 : v->type == RESP_T_SET  ? '~'
                 : v->type == RESP_T_PUSH ? '>'
                                          : '*';
        long long n = (long long)v->elements;
        resp_write_agg(b, t, t == '%' ? n / 2 : n, resp3);
        for (size_t i = 0; i < v->elements; i++)
            write_value(b, v->element[i], resp3);
    }
    }
}

static int same_value(const resp_value *a, const resp_value *b) {
    if (a->type != b->type) return 0;
    if ((a->attribute == NULL) != (b->attribute == NULL)) return 0;
    if (a->attribute && !same_value(a->attribute, b->attribute)) return 0;
    switch (a->type) {
    case RESP_T_INT:
    case RESP_T_BOOL:
        return a->integer == b->integer;
    case RESP_T_DOUBLE:
        return a->dval == b->dval && a->len == b->len && !memcmp(a->str, b->str, a->len);
    case RESP_T_NULL:
        return 1;
    case RESP_T_VERBATIM:
        if (strcmp(a->vtype, b->vtype)) return 0;
        /* fall through */
    case RESP_T_SIMPLE:
    case RESP_T_ERROR:
    case RESP_T_BULK:
    case RESP_T_BIGNUM:
        return a->len == b->len && !memcmp(a->str, b->str, a->len) && b->str[b->len] == 0;
    default:
        if (a->elements != b->elements) return 0;
        for (size_t i = 0; i < a->elements; i++)
            if (!same_value(a->element[i], b->element[i])) return 0;
        return 1;
    }
}

TEST(proto_roundtrip_random) {
    for (int resp3 = 1; resp3 >= 0; resp3--) {
        resp_reader *r = resp_reader_new();
        for (int iter = 0; iter < 2000; iter++) {
            resp_value *v = random_value(1 + (int)rnd(5), resp3);
            resp_buf b = {0};
            write_value(&b, v, resp3);
            /* Feed in random pieces to exercise resumption too. */
            void *reply = NULL;
            size_t off = 0;
            while (off < b.len) {
                size_t n = 1 + rnd(64);
                if (n > b.len - off) n = b.len - off;
                CHECK_INT(resp_reader_feed(r, b.data + off, n), RESP_OK);
                off += n;
                CHECK_INT(resp_reader_get_reply(r, &reply), RESP_OK);
                if (off < b.len) CHECK(reply == NULL);
            }
            CHECK(reply != NULL);
            if (!same_value(v, reply)) {
                unit_fail(__FILE__, __LINE__, "round trip %d (resp%d) differs: %.*s", iter,
                          resp3 ? 3 : 2, (int)(b.len < 200 ? b.len : 200), b.data);
                return;
            }
            resp_value_free(reply);
            resp_value_free(v);
            resp_buf_free(&b);
        }
        resp_reader_free(r);
    }
}
