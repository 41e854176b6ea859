/*
 * test_client.c - libpairdb against pairdb-server and redis-server.
 *
 * Tests marked ON_NONE need no server (URL parsing, formatting, the parser);
 * ON_BOTH run once per server; ON_REDIS use what only redis-server offers
 * (DEBUG PROTOCOL, rename-command).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"

/* ---- no server ---- */

TEST(url_tcp_forms, ON_NONE) {
    pdb_options o;
    char buf[PDB_URL_MAX + 1], err[128];
    pdb_options_init(&o);
    CHECK_INT(pdb_url_parse("redis://example.org:6390/4", &o, buf, sizeof buf, err, sizeof err),
              PDB_OK);
    CHECK_STR(o.host, "example.org");
    CHECK_INT(o.port, 6390);
    CHECK_INT(o.db, 4);
    CHECK(o.password == NULL && o.user == NULL);

    pdb_options_init(&o);
    CHECK_INT(pdb_url_parse("redis://al%40ice:p%3Ass@h", &o, buf, sizeof buf, err, sizeof err),
              PDB_OK);
    CHECK_STR(o.user, "al@ice");
    CHECK_STR(o.password, "p:ss");
    CHECK_STR(o.host, "h");
    CHECK_INT(o.port, 6379);

    pdb_options_init(&o);
    CHECK_INT(pdb_url_parse("redis://:secret@[::1]:7000", &o, buf, sizeof buf, err, sizeof err),
              PDB_OK);
    CHECK(o.user == NULL);
    CHECK_STR(o.password, "secret");
    CHECK_STR(o.host, "::1");
    CHECK_INT(o.port, 7000);

    pdb_options_init(&o);
    CHECK_INT(pdb_url_parse("unix:///tmp/x.sock?db=3", &o, buf, sizeof buf, err, sizeof err),
              PDB_OK);
    CHECK_STR(o.unix_path, "/tmp/x.sock");
    CHECK_INT(o.db, 3);
}

TEST(url_errors, ON_NONE) {
    pdb_options o;
    char buf[PDB_URL_MAX + 1], err[128];
    pdb_options_init(&o);
    CHECK_INT(pdb_url_parse("http://h", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("redis://h:0", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_STR(err, "bad port in URL");
    CHECK_INT(pdb_url_parse("redis://h:65536", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("redis://h:12x", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("redis://h/x", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_STR(err, "bad database number in URL");
    CHECK_INT(pdb_url_parse("redis://a%4@h", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("redis://a%00b@h", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("redis://[::1", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("unix://rel/path", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    CHECK_INT(pdb_url_parse("unix:///p?db=-1", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);
    /* A failed parse leaves the options as they were. */
    CHECK_STR(o.host, "127.0.0.1");
    CHECK_INT(o.port, 6379);
    char *huge = malloc(PDB_URL_MAX + 20);
    memcpy(huge, "redis://", 8);
    memset(huge + 8, 'a', PDB_URL_MAX + 10);
    huge[PDB_URL_MAX + 18] = '\0';
    int rc = pdb_url_parse(huge, &o, buf, sizeof buf, err, sizeof err);
    free(huge);
    CHECK_INT(rc, PDB_ERR_ARG);
    CHECK_STR(err, "URL too long");

    pdb_conn *c = pdb_connect_url("http://127.0.0.1:1", NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    pdb_free(c);
}

TEST(format_directives, ON_NONE) {
    char *out;
    long long n = pdb_format_command(&out, "SET %s %b", "k y", "a\0b", (size_t)3);
    CHECK_INT(n, 31);
    CHECK(memcmp(out, "*3\r\n$3\r\nSET\r\n$3\r\nk y\r\n$3\r\na\0b\r\n", 31) == 0);
    free(out);
    n = pdb_format_command(&out, "X %d:%lld %zu %f 100%% %s", -7, -9000000000LL, (size_t)12, 1.5,
                           "");
    CHECK(n > 0);
    CHECK_STR(out, "*6\r\n$1\r\nX\r\n$14\r\n-7:-9000000000\r\n$2\r\n12\r\n$3\r\n1.5\r\n"
                   "$4\r\n100%\r\n$0\r\n\r\n");
    free(out);
    n = pdb_format_command(&out, "  GET   key  ");
    CHECK_STR(out, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
    free(out);
    CHECK_INT(pdb_format_command(&out, "GET %q", "x"), PDB_ERR_ARG);
    CHECK(out == NULL);
    CHECK_INT(pdb_format_command(&out, "   "), PDB_ERR_ARG);
}

/* Feeds a string literal without its terminating NUL. */
#define FEED(p, lit) pdb_parser_feed((p), (lit), sizeof(lit) - 1)

static pdb_reply *parse_one(const char *bytes, size_t len) {
    pdb_parser *p = pdb_parser_new(NULL, NULL);
    void *obj = NULL;
    /* One byte at a time: every split point must work. */
    for (size_t i = 0; i < len; i++)
        pdb_parser_feed(p, bytes + i, 1);
    pdb_parser_get(p, &obj);
    pdb_parser_free(p);
    return obj;
}

TEST(parser_every_type, ON_NONE) {
    static const char wire[] = "|1\r\n+ttl\r\n:3600\r\n"
                               "%7\r\n"
                               "+s\r\n$5\r\nb\0u\r\n\r\n"
                               "+set\r\n~2\r\n:1\r\n#f\r\n"
                               "+dbl\r\n,-1.25e3\r\n"
                               "+big\r\n(-123456789012345678901234567890\r\n"
                               "+txt\r\n=9\r\ntxt:hello\r\n"
                               "+nul\r\n_\r\n"
                               "+err\r\n!9\r\nSYNTAX xy\r\n";
    pdb_reply *r = parse_one(wire, sizeof wire - 1);
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_MAP);
    CHECK_INT(pdb_reply_map_size(r), 7);
    const pdb_reply *a = pdb_reply_attribute(r);
    CHECK(a != NULL);
    CHECK_INT(pdb_reply_type(a), PDB_REPLY_ATTR);
    CHECK_INT(pdb_reply_integer(pdb_reply_map_get(a, "ttl", 3)), 3600);

    pdb_view v = pdb_reply_view(pdb_reply_map_get(r, "s", 1));
    CHECK(v.len == 5 && memcmp(v.ptr, "b\0u\r\n", 5) == 0);
    const pdb_reply *set = pdb_reply_map_get(r, "set", 3);
    CHECK_INT(pdb_reply_type(set), PDB_REPLY_SET);
    CHECK_INT(pdb_reply_elements(set), 2);
    CHECK_INT(pdb_reply_integer(pdb_reply_element(set, 0)), 1);
    CHECK_INT(pdb_reply_type(pdb_reply_element(set, 1)), PDB_REPLY_BOOL);
    CHECK_INT(pdb_reply_bool(pdb_reply_element(set, 1)), 0);
    CHECK(pdb_reply_element(set, 2) == NULL);
    const pdb_reply *d = pdb_reply_map_get(r, "dbl", 3);
    CHECK_INT(pdb_reply_type(d), PDB_REPLY_DOUBLE);
    CHECK(pdb_reply_double(d) == -1250.0);
    CHECK_STR(pdb_reply_str(d), "-1.25e3");
    CHECK_REPLY(pdb_reply_map_get(r, "big", 3), PDB_REPLY_BIGNUM,
                "-123456789012345678901234567890");
    const pdb_reply *t = pdb_reply_map_get(r, "txt", 3);
    CHECK_REPLY(t, PDB_REPLY_VERBATIM, "hello");
    CHECK_STR(pdb_reply_verbatim_format(t), "txt");
    CHECK_INT(pdb_reply_type(pdb_reply_map_get(r, "nul", 3)), PDB_REPLY_NULL);
    CHECK_REPLY(pdb_reply_map_get(r, "err", 3), PDB_REPLY_ERROR, "SYNTAX xy");
    CHECK(pdb_reply_map_get(r, "none", 4) == NULL);
    CHECK_STR(pdb_reply_str(pdb_reply_map_key(r, 0)), "s");
    pdb_reply_free(r);

    static const char push[] = ">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n";
    r = parse_one(push, sizeof push - 1);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_PUSH);
    CHECK_STR(pdb_reply_str(pdb_reply_element(r, 0)), "invalidate");
    pdb_reply_free(r);
    r = parse_one("*-1\r\n", 5);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_NULL);
    pdb_reply_free(r);
}

TEST(parser_errors_sticky, ON_NONE) {
    pdb_parser *p = pdb_parser_new(NULL, NULL);
    void *obj = (void *)1;
    CHECK_INT(FEED(p, "*2\r\n:1\r\n?x\r\n"), PDB_OK);
    CHECK_INT(pdb_parser_get(p, &obj), PDB_ERR_PROTOCOL);
    CHECK(obj == NULL);
    CHECK_STR(pdb_parser_error(p), "Protocol error: invalid reply type byte '?'");
    CHECK_INT(FEED(p, "+OK\r\n"), PDB_ERR_PROTOCOL);
    CHECK_INT(pdb_parser_get(p, &obj), PDB_ERR_PROTOCOL);
    pdb_parser_free(p);
    /* Hostile lengths are refused before anything is allocated for them. */
    p = pdb_parser_new(NULL, NULL);
    FEED(p, "$99999999999\r\n");
    CHECK_INT(pdb_parser_get(p, &obj), PDB_ERR_PROTOCOL);
    pdb_parser_free(p);
}

/* A builder that only counts: no allocation at all. */
static char count_token;
static void *count_any(const pdb_task *t) {
    (*(long *)t->privdata)++;
    return &count_token;
}
static void *count_string(const pdb_task *t, const char *s, size_t n) {
    (void)s;
    (void)n;
    return count_any(t);
}
static void *count_array(const pdb_task *t, size_t n) {
    (void)n;
    return count_any(t);
}
static void *count_int(const pdb_task *t, long long v) {
    (void)v;
    return count_any(t);
}
static void *count_double(const pdb_task *t, double d, const char *s, size_t n) {
    (void)d;
    (void)s;
    (void)n;
    return count_any(t);
}
static void *count_bool(const pdb_task *t, int v) {
    (void)v;
    return count_any(t);
}
static const pdb_builder counting = {count_string, count_array, count_int, count_double,
                                     count_any,    count_bool,  NULL,      NULL};

TEST(parser_custom_builder, ON_NONE) {
    long n = 0;
    pdb_parser *p = pdb_parser_new(&counting, &n);
    void *obj = NULL;
    FEED(p, "*3\r\n:1\r\n%1\r\n+a\r\n,2.5\r\n#t\r\n");
    CHECK_INT(pdb_parser_get(p, &obj), PDB_OK);
    CHECK(obj == &count_token);
    CHECK_INT(n, 6);
    pdb_parser_free(p);
    pdb_builder broken = counting;
    broken.create_nil = NULL;
    CHECK(pdb_parser_new(&broken, NULL) == NULL);
}

/* ---- connecting ---- */

TEST(connect_by_options_and_url, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.client_name = "lib-test";
    o.db = 3;
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_protocol(c), 3);
    pdb_reply *r = pdb_command(c, "CLIENT GETNAME");
    CHECK_REPLY(r, PDB_REPLY_STRING, "lib-test");
    pdb_reply_free(r);
    r = pdb_command(c, "SET %s %s", "where", "db3");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    pdb_free(c);

    char url[512];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", s->port);
    c = pdb_connect_url(url, NULL);
    CHECK_INT(pdb_err(c), PDB_OK);
    r = pdb_command(c, "GET where");
    CHECK_REPLY(r, PDB_REPLY_STRING, "db3");
    pdb_reply_free(r);
    pdb_free(c);

    snprintf(url, sizeof url, "unix://%s?db=3", s->sock);
    c = pdb_connect_url(url, NULL);
    CHECK_INT(pdb_err(c), PDB_OK);
    r = pdb_command(c, "GET where");
    CHECK_REPLY(r, PDB_REPLY_STRING, "db3");
    pdb_reply_free(r);
    pdb_free(c);

    /* db 0 by default: the key is not there. */
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", s->port);
    c = pdb_connect_url(url, NULL);
    r = pdb_command(c, "GET where");
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_NULL);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(connect_refused_and_bad_options, ON_NONE) {
    pdb_options o;
    pdb_options_init(&o);
    o.port = free_port();
    o.reconnect_attempts = 0;
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK(strstr(pdb_errstr(c), "Connection refused") != NULL);
    CHECK(!pdb_is_connected(c));
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_CLOSED);
    pdb_free(c);
    pdb_options_init(&o);
    o.protocol = 4;
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_STR(pdb_errstr(c), "protocol must be 2 or 3");
    pdb_free(c);
}

TEST(auth_with_requirepass, ON_BOTH) {
    server *s = server_start("--requirepass", "s3cret", NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.reconnect_attempts = 1;
    /* No password: HELLO is refused and the connect fails with its error. */
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK_STR(pdb_err_command(c), "HELLO");
    CHECK(strncmp(pdb_errstr(c), "NOAUTH ", 7) == 0);
    pdb_free(c);

    o.password = "wrong";
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK_STR(pdb_errstr(c), "WRONGPASS invalid username-password pair or user is disabled.");
    pdb_free(c);

    o.password = "s3cret";
    o.client_name = "authed";
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_protocol(c), 3);
    pdb_reply *r = pdb_command(c, "CLIENT GETNAME");
    CHECK_REPLY(r, PDB_REPLY_STRING, "authed");
    pdb_reply_free(r);
    pdb_free(c);

    /* RESP2 forced: AUTH and CLIENT SETNAME instead of HELLO. */
    o.protocol = 2;
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_protocol(c), 2);
    r = pdb_command(c, "CLIENT GETNAME");
    CHECK_REPLY(r, PDB_REPLY_STRING, "authed");
    pdb_reply_free(r);
    /* RESP2: a hash comes back as a flat array. */
    pdb_reply_free(pdb_command(c, "HSET h f v"));
    r = pdb_command(c, "HGETALL h");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_ARRAY);
    CHECK_INT(pdb_reply_elements(r), 2);
    pdb_reply_free(r);
    pdb_free(c);

    o.password = "wrong";
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK_STR(pdb_err_command(c), "AUTH");
    pdb_free(c);

    char url[512];
    snprintf(url, sizeof url, "redis://default:s3cret@127.0.0.1:%d/1", s->port);
    c = pdb_connect_url(url, NULL);
    CHECK_INT(pdb_err(c), PDB_OK);
    r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* A server without HELLO: the handshake falls back to RESP2. */
TEST(hello_fallback_without_hello, ON_REDIS) {
    server *s = server_start("--requirepass", "pw", "--rename-command", "HELLO", "", NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.password = "pw";
    o.client_name = "old";
    o.db = 2;
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_protocol(c), 2);
    pdb_reply *r = pdb_command(c, "CLIENT GETNAME");
    CHECK_REPLY(r, PDB_REPLY_STRING, "old");
    pdb_reply_free(r);
    r = pdb_command(c, "CLIENT INFO");
    CHECK(r && strstr(pdb_reply_str(r), " db=2 ") != NULL);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* A server refusing protocol 3 (NOPROTO): RESP2 as well. */
TEST(hello_fallback_noproto, ON_NONE) {
    static const char *const script[] = {"-NOPROTO unsupported protocol version\r\n", "+OK\r\n",
                                         "+PONG\r\n"};
    fake_server *f = fake_start(script, 3);
    pdb_options o;
    pdb_options_init(&o);
    o.port = fake_port(f);
    o.client_name = "n";
    o.command_timeout_ms = 2000;
    pdb_conn *c = pdb_connect(&o);
    int err = pdb_err(c), proto = pdb_protocol(c);
    pdb_reply *r = pdb_command(c, "PING");
    pdb_free(c);
    fake_stop(f);
    CHECK_INT(err, PDB_OK);
    CHECK_INT(proto, 2);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
}

/* ---- replies ---- */

TEST(resp3_reply_types, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "HSET h a 1 b 2"));
    pdb_reply *r = pdb_command(c, "HGETALL h");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_MAP);
    CHECK_INT(pdb_reply_map_size(r), 2);
    CHECK_STR(pdb_reply_str(pdb_reply_map_get(r, "b", 1)), "2");
    pdb_reply_free(r);

    pdb_reply_free(pdb_command(c, "SADD s x"));
    r = pdb_command(c, "SMEMBERS s");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_SET);
    CHECK_REPLY(pdb_reply_element(r, 0), PDB_REPLY_STRING, "x");
    pdb_reply_free(r);

    pdb_reply_free(pdb_command(c, "ZADD z 2.5 m"));
    r = pdb_command(c, "ZSCORE z m");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_DOUBLE);
    CHECK(pdb_reply_double(r) == 2.5);
    pdb_reply_free(r);

    r = pdb_command(c, "GET nothing");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_NULL);
    pdb_reply_free(r);

    r = pdb_command(c, "CLIENT INFO");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_VERBATIM);
    CHECK_STR(pdb_reply_verbatim_format(r), "txt");
    CHECK(strncmp(pdb_reply_str(r), "id=", 3) == 0);
    pdb_reply_free(r);

    /* Redis 7.0 turns a script's true into :1 even for RESP3 callers. */
    r = pdb_command(c, "EVAL %s 0", "return true");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_INTEGER);
    CHECK_INT(pdb_reply_bool(r), 1);
    pdb_reply_free(r);

    r = pdb_command(c, "INCRBY n -5");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_INTEGER);
    CHECK_INT(pdb_reply_integer(r), -5);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(resp3_bignum_and_attribute, ON_REDIS) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    pdb_reply *r = pdb_command(c, "DEBUG PROTOCOL bignum");
    CHECK_REPLY(r, PDB_REPLY_BIGNUM, "1234567999999999999999999999999999999");
    pdb_reply_free(r);
    r = pdb_command(c, "DEBUG PROTOCOL attrib");
    CHECK_REPLY(r, PDB_REPLY_STRING, "Some real reply following the attribute");
    const pdb_reply *a = pdb_reply_attribute(r);
    CHECK(a != NULL);
    CHECK_INT(pdb_reply_map_size(a), 1);
    CHECK_STR(pdb_reply_str(pdb_reply_map_key(a, 0)), "key-popularity");
    pdb_reply_free(r);
    r = pdb_command(c, "DEBUG PROTOCOL true");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_BOOL);
    pdb_reply_free(r);
    r = pdb_command(c, "DEBUG PROTOCOL verbatim");
    CHECK_REPLY(r, PDB_REPLY_VERBATIM, "This is a verbatim\nstring");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* Pushes that arrive with a reply go to the handler. */
static int pushes_seen;
static char last_push_kind[32];
static void on_push(pdb_conn *c, pdb_reply *push, void *priv) {
    (void)c;
    (void)priv;
    pushes_seen++;
    snprintf(last_push_kind, sizeof last_push_kind, "%s",
             pdb_reply_str(pdb_reply_element(push, 0)) ? pdb_reply_str(pdb_reply_element(push, 0))
                                                       : "");
    pdb_reply_free(push);
}

TEST(push_tracking_invalidation, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o), *w = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply *r = pdb_command(c, "CLIENT TRACKING on");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    pdb_reply_free(pdb_command(c, "GET tk"));
    pdb_reply_free(pdb_command(w, "SET tk 1"));
    /* With no handler and nothing pending, the push is the next value. */
    r = NULL;
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_PUSH);
    CHECK_REPLY(pdb_reply_element(r, 0), PDB_REPLY_STRING, "invalidate");
    CHECK_REPLY(pdb_reply_element(pdb_reply_element(r, 1), 0), PDB_REPLY_STRING, "tk");
    pdb_reply_free(r);

    /* With a handler, a push ahead of a reply is handed to it. */
    pushes_seen = 0;
    pdb_set_push_handler(c, on_push, NULL);
    pdb_reply_free(pdb_command(c, "GET tk"));
    pdb_reply_free(pdb_command(w, "SET tk 2"));
    sleep_ms(50);
    r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    CHECK_INT(pushes_seen, 1);
    CHECK_STR(last_push_kind, "invalidate");
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.pushes, 2);
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

TEST(push_subscribe, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o), *p = pdb_connect(&o);
    /* In RESP3 the subscribe confirmation is a push and is the reply. */
    pdb_reply *r = pdb_command(c, "SUBSCRIBE news");
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_PUSH);
    CHECK_REPLY(pdb_reply_element(r, 0), PDB_REPLY_STRING, "subscribe");
    CHECK_INT(pdb_reply_integer(pdb_reply_element(r, 2)), 1);
    pdb_reply_free(r);
    r = pdb_command(p, "PUBLISH news %b", "hi\0there", (size_t)8);
    CHECK_INT(pdb_reply_integer(r), 1);
    pdb_reply_free(r);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_PUSH);
    CHECK_REPLY(pdb_reply_element(r, 0), PDB_REPLY_STRING, "message");
    pdb_view v = pdb_reply_view(pdb_reply_element(r, 2));
    CHECK(v.len == 8 && memcmp(v.ptr, "hi\0there", 8) == 0);
    pdb_reply_free(r);
    /* RESP3 allows ordinary commands while subscribed. */
    r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    pdb_free(p);
    server_free(s);
}

/* ---- commands ---- */

TEST(binary_safe_values, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    char val[256];
    for (int i = 0; i < 256; i++)
        val[i] = (char)i;
    pdb_reply *r = pdb_command(c, "SET %b %b", "key with\r\nspaces", (size_t)16, val, sizeof val);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    const char *argv[] = {"GET", "key with\r\nspaces"};
    size_t lens[] = {3, 16};
    r = pdb_command_argv(c, 2, argv, lens);
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_len(r), 256);
    CHECK(memcmp(pdb_reply_str(r), val, 256) == 0);
    pdb_reply_free(r);
    r = pdb_command(c, "SET e %s", "");
    pdb_reply_free(r);
    r = pdb_command(c, "STRLEN e");
    CHECK_INT(pdb_reply_integer(r), 0);
    pdb_reply_free(r);
    r = pdb_command(c, "SET f %f", 0.1);
    pdb_reply_free(r);
    r = pdb_command(c, "GET f");
    CHECK_REPLY(r, PDB_REPLY_STRING, "0.10000000000000001");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(server_errors, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    pdb_reply_free(pdb_command(c, "SET s abc"));
    CHECK(pdb_command(c, "incr s") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK_STR(pdb_errstr(c), "ERR value is not an integer or out of range");
    CHECK_STR(pdb_err_command(c), "INCR");
    /* The connection stays usable and the error clears on success. */
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_STR(pdb_errstr(c), "");
    pdb_reply_free(r);
    /* Pipelined: the error reply is handed out with PDB_ERR_SERVER. */
    CHECK_INT(pdb_append_command(c, "GET"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    CHECK_INT(pdb_get_reply(c, &r), PDB_ERR_SERVER);
    CHECK_REPLY(r, PDB_REPLY_ERROR, "ERR wrong number of arguments for 'get' command");
    CHECK_STR(pdb_err_command(c), "GET");
    pdb_reply_free(r);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    pdb_reply_free(r);
    /* Errors inside an aggregate stay elements. */
    pdb_reply_free(pdb_command(c, "MULTI"));
    pdb_reply_free(pdb_command(c, "INCR s"));
    pdb_reply_free(pdb_command(c, "PING"));
    r = pdb_command(c, "EXEC");
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_ARRAY);
    CHECK_INT(pdb_reply_type(pdb_reply_element(r, 0)), PDB_REPLY_ERROR);
    CHECK_REPLY(pdb_reply_element(r, 1), PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    /* A sync command while pipelined replies are pending is refused. */
    pdb_append_command(c, "PING");
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    pdb_reply_free(r);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.server_errors, 2);
    pdb_free(c);
    server_free(s);
}

TEST(pipeline_10k, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    enum { N = 10000 };
    for (int i = 0; i < N; i++)
        CHECK_INT(pdb_append_command(c, "SET key:%d val:%d", i, i * 7), PDB_OK);
    CHECK_INT(pdb_pending(c), N);
    for (int i = 0; i < N; i++) {
        pdb_reply *r;
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
        pdb_reply_free(r);
    }
    for (int i = 0; i < N; i++)
        pdb_append_command(c, "GET key:%d", i);
    CHECK_INT(pdb_flush(c), PDB_OK);
    for (int i = 0; i < N; i++) {
        pdb_reply *r;
        char want[32];
        snprintf(want, sizeof want, "val:%d", i * 7);
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        CHECK_REPLY(r, PDB_REPLY_STRING, want);
        pdb_reply_free(r);
    }
    CHECK_INT(pdb_pending(c), 0);
    pdb_cmd_stats cs;
    CHECK_INT(pdb_stats_lookup(c, "set", &cs), PDB_OK);
    CHECK_STR(cs.name, "SET");
    CHECK_INT(cs.calls, N);
    unsigned long long sum = 0;
    for (int i = 0; i < PDB_HIST_BUCKETS; i++)
        sum += cs.hist[i];
    CHECK_INT(sum, N);
    CHECK(pdb_stats_quantile(&cs, 0.99) >= pdb_stats_quantile(&cs, 0.5));
    CHECK(pdb_stats_quantile(&cs, 0.5) > 0);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.commands, 2 * N);
    CHECK_INT(st.replies, 2 * N);
    CHECK(st.command_kinds >= 2);
    CHECK_INT(pdb_stats_lookup(c, "HGET", &cs), PDB_ERR_ARG);
    pdb_free(c);
    server_free(s);
}

TEST(custom_builder_on_connection, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    pdb_reply_free(pdb_command(c, "RPUSH l a b c d e"));
    long n = 0;
    CHECK_INT(pdb_set_builder(c, &counting, &n), PDB_OK);
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_INT(pdb_append_command(c, "LRANGE l 0 -1"), PDB_OK);
    void *obj = NULL;
    CHECK_INT(pdb_get_reply_obj(c, &obj), PDB_OK);
    CHECK(obj == &count_token);
    CHECK_INT(n, 6);
    /* Errors are recognised without knowing the builder's objects. */
    pdb_append_command(c, "LPUSH");
    CHECK_INT(pdb_get_reply_obj(c, &obj), PDB_ERR_SERVER);
    CHECK_STR(pdb_errstr(c), "ERR wrong number of arguments for 'lpush' command");
    CHECK_INT(pdb_set_builder(c, NULL, NULL), PDB_OK);
    pdb_reply *r = pdb_command(c, "LLEN l");
    CHECK_INT(pdb_reply_integer(r), 5);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* ---- timeouts ---- */

TEST(command_timeout_debug_sleep, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.command_timeout_ms = 200;
    pdb_conn *c = pdb_connect(&o);
    long long t0 = now_ms();
    CHECK(pdb_command(c, "DEBUG SLEEP 1") == NULL);
    long long took = now_ms() - t0;
    CHECK_INT(pdb_err(c), PDB_ERR_TIMEOUT);
    CHECK(took >= 190 && took < 900);
    CHECK(!pdb_is_connected(c));
    /* The next command reconnects (and waits for the sleeping server). */
    pdb_set_timeout(c, 5000);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.timeouts, 1);
    CHECK_INT(st.reconnects, 1);
    pdb_cmd_stats cs;
    CHECK_INT(pdb_stats_lookup(c, "DEBUG", &cs), PDB_OK);
    CHECK_INT(cs.failures, 1);
    pdb_free(c);
    server_free(s);
}

TEST(timeout_silent_server, ON_NONE) {
    /* Accepts, answers HELLO, then never answers again. */
    static const char *const script[] = {"%1\r\n+proto\r\n:3\r\n", NULL};
    fake_server *f = fake_start(script, 2);
    pdb_options o;
    pdb_options_init(&o);
    o.port = fake_port(f);
    o.command_timeout_ms = 150;
    o.reconnect_attempts = 0;
    pdb_conn *c = pdb_connect(&o);
    int err0 = pdb_err(c);
    long long t0 = now_ms();
    pdb_reply *r = pdb_command(c, "GET x");
    long long took = now_ms() - t0;
    int err1 = pdb_err(c);
    pdb_free(c);

    /* A handshake that never completes is bounded by the connect timeout. */
    static const char *const mute[] = {NULL};
    fake_server *g = fake_start(mute, 1);
    o.port = fake_port(g);
    o.connect_timeout_ms = 150;
    t0 = now_ms();
    c = pdb_connect(&o);
    long long took2 = now_ms() - t0;
    int err2 = pdb_err(c);
    pdb_free(c);
    fake_stop(f);
    fake_stop(g);
    CHECK_INT(err0, PDB_OK);
    CHECK(r == NULL);
    CHECK_INT(err1, PDB_ERR_TIMEOUT);
    CHECK(took >= 140 && took < 1000);
    CHECK_INT(err2, PDB_ERR_TIMEOUT);
    CHECK(took2 >= 140 && took2 < 1000);
}

TEST(protocol_error_closes, ON_NONE) {
    static const char *const script[] = {"%1\r\n+proto\r\n:3\r\n", "@garbage\r\n", "+x\r\n"};
    fake_server *f = fake_start(script, 3);
    pdb_options o;
    pdb_options_init(&o);
    o.port = fake_port(f);
    o.command_timeout_ms = 2000;
    o.reconnect_attempts = 1;
    pdb_conn *c = pdb_connect(&o);
    pdb_reply *r = pdb_command(c, "PING");
    int err = pdb_err(c), connected = pdb_is_connected(c);
    char msg[128];
    snprintf(msg, sizeof msg, "%s", pdb_errstr(c));
    pdb_free(c);
    fake_stop(f);
    CHECK(r == NULL);
    CHECK_INT(err, PDB_ERR_PROTOCOL);
    CHECK_STR(msg, "Protocol error: invalid reply type byte '@'");
    CHECK(!connected);
}

/* ---- resilience ---- */

TEST(reconnect_after_restart, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.db = 1;
    o.client_name = "again";
    pdb_conn *c = pdb_connect(&o);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    CHECK_INT(server_restart(s), 0);
    /* The dead idle socket is noticed before sending: no command is lost. */
    r = pdb_command(c, "CLIENT GETNAME");
    CHECK_REPLY(r, PDB_REPLY_STRING, "again");
    pdb_reply_free(r);
    r = pdb_command(c, "CLIENT INFO");
    CHECK(r && strstr(pdb_reply_str(r), " db=1 ") != NULL);
    pdb_reply_free(r);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.connects, 2);
    CHECK_INT(st.reconnects, 1);

    /* Server down: bounded retries with backoff, then an I/O error. (A
     * socket is checked for a closed peer once it read nothing for 1 ms:
     * the server may be gone sooner than that.) */
    server_stop(s);
    sleep_ms(5);
    long long t0 = now_ms();
    CHECK(pdb_command(c, "PING") == NULL);
    long long took = now_ms() - t0;
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    /* Three attempts: waits below 50 + 100 ms. */
    CHECK(took < 1000);
    pdb_get_stats(c, &st);
    CHECK(st.connect_failures >= 3);
    CHECK_INT(server_restart(s), 0);
    r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(circuit_breaker, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.breaker_threshold = 2;
    o.breaker_cooldown_ms = 300;
    o.reconnect_attempts = 1;
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_CLOSED);
    server_stop(s);
    sleep_ms(5); /* past the 1 ms in which a socket is not checked */
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_CLOSED);
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_OPEN);
    /* Open: fails fast without touching the network. */
    long long t0 = now_ms();
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_CIRCUIT_OPEN);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_ERR_CIRCUIT_OPEN);
    CHECK(now_ms() - t0 < 50);
    sleep_ms(350);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_HALF_OPEN);
    /* Half-open trial fails: open again at once. */
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_OPEN);
    CHECK_INT(server_restart(s), 0);
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_CIRCUIT_OPEN);
    sleep_ms(350);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_CLOSED);
    /* Server error replies never open it. */
    for (int i = 0; i < 5; i++)
        CHECK(pdb_command(c, "NOSUCHCOMMAND") == NULL);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_CLOSED);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.breaker_opens, 2);
    CHECK_INT(st.breaker_rejections, 3);
    pdb_free(c);
    server_free(s);
}

TEST(keepalive_and_disconnect, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.keepalive_s = 30;
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    int fd = pdb_fd(c), v = 0;
    socklen_t len = sizeof v;
    CHECK(fd >= 0);
    CHECK(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v == 1);
    CHECK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) == 0 && v == 30);
    CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
    pdb_disconnect(c);
    CHECK(!pdb_is_connected(c));
    CHECK_INT(pdb_protocol(c), 0);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* ---- pub/sub reply matching ---- */

/* Takes the next value and checks it is a pub/sub array or push whose first
 * element is kind and second is channel. */
static int next_is(pdb_conn *c, const char *kind, const char *channel) {
    pdb_reply *r = NULL;
    int ok = pdb_get_reply(c, &r) == PDB_OK &&
             (pdb_reply_type(r) == PDB_REPLY_PUSH || pdb_reply_type(r) == PDB_REPLY_ARRAY) &&
             pdb_reply_str(pdb_reply_element(r, 0)) &&
             strcmp(pdb_reply_str(pdb_reply_element(r, 0)), kind) == 0 &&
             pdb_reply_str(pdb_reply_element(r, 1)) &&
             strcmp(pdb_reply_str(pdb_reply_element(r, 1)), channel) == 0;
    if (!ok)
        fprintf(stderr, "expected %s %s, got type %d rc %s\n", kind, channel, pdb_reply_type(r),
                pdb_errstr(c));
    pdb_reply_free(r);
    return ok;
}

static void multi_channel(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.protocol = protocol;
    pdb_conn *c = pdb_connect(&o), *p = pdb_connect(&o);
    CHECK_INT(pdb_protocol(c), protocol);
    /* One command, three confirmations: the first is the reply, the others
     * must not be taken as replies to the commands that follow. */
    pdb_reply *r = pdb_command(c, "SUBSCRIBE a b c");
    CHECK(r != NULL);
    CHECK_STR(pdb_reply_str(pdb_reply_element(r, 1)), "a");
    pdb_reply_free(r);
    r = pdb_command(c, "PING");
    CHECK(r != NULL);
    if (protocol == 3) {
        CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    } else {
        CHECK_INT(pdb_reply_type(r), PDB_REPLY_ARRAY);
        CHECK_STR(pdb_reply_str(pdb_reply_element(r, 0)), "pong");
    }
    pdb_reply_free(r);
    pdb_reply_free(pdb_command(p, "PUBLISH b hello"));
    CHECK(next_is(c, "subscribe", "b"));
    CHECK(next_is(c, "subscribe", "c"));
    CHECK(next_is(c, "message", "b"));

    /* Waiting for a message that does not come times out without closing. */
    pdb_set_timeout(c, 100);
    CHECK_INT(pdb_get_reply(c, &r), PDB_ERR_TIMEOUT);
    CHECK(r == NULL);
    CHECK(pdb_is_connected(c));
    pdb_set_timeout(c, 5000);
    pdb_reply_free(pdb_command(p, "PUBLISH c again"));
    CHECK(next_is(c, "message", "c"));

    /* An unsubscribe from everything: one confirmation per channel. */
    r = pdb_command(c, "UNSUBSCRIBE");
    CHECK(r != NULL);
    CHECK_STR(pdb_reply_str(pdb_reply_element(r, 0)), "unsubscribe");
    pdb_reply_free(r);
    r = pdb_command(c, "SET %s %s", "after", "sub");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    r = pdb_command(c, "GET after");
    CHECK_REPLY(r, PDB_REPLY_STRING, "sub");
    pdb_reply_free(r);
    pdb_free(c);
    pdb_free(p);
    server_free(s);
}

TEST(pubsub_multi_channel_resp3, ON_BOTH) {
    multi_channel(3);
}

TEST(pubsub_multi_channel_resp2, ON_BOTH) {
    multi_channel(2);
}

/* Big commands and big replies at once: replies are read while writing. */
TEST(pipeline_large_both_ways, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    enum { N = 64, LEN = 512 * 1024 };
    char *blob = malloc(LEN);
    for (int i = 0; i < LEN; i++)
        blob[i] = (char)('a' + i % 26);
    for (int i = 0; i < N; i++) {
        blob[0] = (char)('A' + i % 26);
        pdb_append_command(c, "ECHO %b", blob, (size_t)LEN);
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        pdb_reply *r;
        if (pdb_get_reply(c, &r) != PDB_OK || pdb_reply_len(r) != LEN ||
            pdb_reply_str(r)[0] != (char)('A' + i % 26) ||
            memcmp(pdb_reply_str(r) + 1, blob + 1, LEN - 1))
            bad++;
        pdb_reply_free(r);
    }
    free(blob);
    CHECK_INT(bad, 0);
    pdb_free(c);
    server_free(s);
}

TEST(breaker_half_open_one_trial, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.breaker_threshold = 1;
    o.breaker_cooldown_ms = 200;
    o.reconnect_attempts = 1;
    pdb_conn *c = pdb_connect(&o);
    server_stop(s);
    sleep_ms(5); /* past the 1 ms in which a socket is not checked */
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_OPEN);
    CHECK_INT(server_restart(s), 0);
    sleep_ms(250);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    /* The trial's outcome is not known yet: a second command is refused. */
    CHECK_INT(pdb_append_command(c, "PING"), PDB_ERR_CIRCUIT_OPEN);
    pdb_reply *r;
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    pdb_reply_free(r);
    CHECK_INT(pdb_breaker_state_now(c), PDB_BREAKER_CLOSED);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    pdb_reply_free(r);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* An attribute ahead of a top-level reply, and a push ahead of it, through a
 * connection: the reply keeps its attribute and the push does not take the
 * reply's place. */
TEST(attribute_and_push_on_connection, ON_NONE) {
    static const char *const script[] = {
        "%1\r\n+proto\r\n:3\r\n",
        ">2\r\n+invalidate\r\n*1\r\n+k\r\n|1\r\n+ttl\r\n:9\r\n(12345678901234567890\r\n",
        "|1\r\n+why\r\n+x\r\n-ERR with attribute\r\n"};
    fake_server *f = fake_start(script, 3);
    pdb_options o;
    pdb_options_init(&o);
    o.port = fake_port(f);
    o.command_timeout_ms = 2000;
    pdb_conn *c = pdb_connect(&o);
    pdb_reply *r = pdb_command(c, "BIG");
    int err1 = pdb_err(c);
    pdb_reply *push = NULL;
    int push_rc = pdb_get_reply(c, &push);
    pdb_reply *e = pdb_command(c, "FAIL");
    int err2 = pdb_err(c);
    char msg[64], cmd[16];
    snprintf(msg, sizeof msg, "%s", pdb_errstr(c));
    snprintf(cmd, sizeof cmd, "%s", pdb_err_command(c));
    pdb_free(c);
    fake_stop(f);
    CHECK_INT(err1, PDB_OK);
    CHECK_REPLY(r, PDB_REPLY_BIGNUM, "12345678901234567890");
    CHECK_INT(pdb_reply_integer(pdb_reply_map_get(pdb_reply_attribute(r), "ttl", 3)), 9);
    pdb_reply_free(r);
    CHECK_INT(push_rc, PDB_OK);
    CHECK_INT(pdb_reply_type(push), PDB_REPLY_PUSH);
    pdb_reply_free(push);
    CHECK(e == NULL);
    CHECK_INT(err2, PDB_ERR_SERVER);
    CHECK_STR(msg, "ERR with attribute");
    CHECK_STR(cmd, "FAIL");
}
