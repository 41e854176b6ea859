/*
 * test_http.c - unit tests for the admin port: the HTTP request parser
 * (admin/http.h) and the listener's bounds on a real loop (admin/admin.h):
 * connection limit, request deadline (slowloris), keep-alive.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/http.h"
#include "admin/metrics.h"
#include "server/loop.h"
#include "server/net.h"

/* Parses s whole with the default limits. */
static int parse_all(const char *s, http_request *req) {
    http_parser p;
    http_parser_init(&p, NULL);
    return http_parse(&p, s, strlen(s), req);
}

static int parse_status(const char *s) {
    http_request req;
    int r = parse_all(s, &req);
    return r == HTTP_PARSE_ERROR ? req.status : r == HTTP_PARSE_OK ? 200 : 0;
}

TEST(http_parses_a_simple_get) {
    http_request req;
    const char *s = "GET /metrics?name=x HTTP/1.1\r\nHost: localhost:9379\r\nAccept: */*\r\n\r\n";
    CHECK_INT(parse_all(s, &req), HTTP_PARSE_OK);
    CHECK_INT(req.method, HTTP_METHOD_GET);
    CHECK_MEM(req.method_name, req.method_len, "GET");
    CHECK_MEM(req.path, req.path_len, "/metrics");
    CHECK_INT(req.minor, 1);
    CHECK_INT(req.keep_alive, 1);
    CHECK_INT(req.consumed, strlen(s));
}

TEST(http_connection_header_and_versions) {
    http_request req;
    CHECK_INT(parse_all("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req), 1);
    CHECK_INT(req.keep_alive, 0);
    CHECK_INT(parse_all("HEAD /health HTTP/1.0\r\n\r\n", &req), 1);
    CHECK_INT(req.method, HTTP_METHOD_HEAD);
    CHECK_INT(req.minor, 0);
    CHECK_INT(req.keep_alive, 0);
    CHECK_INT(parse_all("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 1);
    CHECK_INT(req.keep_alive, 1);
    CHECK_INT(parse_all("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &req), 1);
    CHECK_INT(req.keep_alive, 0);
    CHECK_INT(parse_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    CHECK_INT(parse_status("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
    CHECK_INT(parse_status("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(http_pipelined_requests_one_at_a_time) {
    const char *s = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                    "HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n";
    http_parser p;
    http_parser_init(&p, NULL);
    http_request req;
    size_t off = 0, len = strlen(s);
    const char *paths[] = {"/a", "/b", "/c"};
    int methods[] = {HTTP_METHOD_GET, HTTP_METHOD_OTHER, HTTP_METHOD_HEAD};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(http_parse(&p, s + off, len - off, &req), HTTP_PARSE_OK);
        CHECK_MEM(req.path, req.path_len, paths[i]);
        CHECK_INT(req.method, methods[i]);
        off += req.consumed;
    }
    CHECK_INT(off, len);
    CHECK_INT(http_parse(&p, s + off, 0, &req), HTTP_PARSE_INCOMPLETE);
}

/* Feeding a byte at a time, through a buffer that moves on every call,
 * gives the same request as the whole text. */
TEST(http_byte_at_a_time_equals_whole) {
    const char *s = "\r\nGET /ready HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGET";
    size_t len = strlen(s), whole = len - 3;
    http_parser p;
    http_parser_init(&p, NULL);
    http_request req;
    for (size_t n = 0; n < whole; n++) {
        char *moving = malloc(n ? n : 1);
        memcpy(moving, s, n);
        int r = http_parse(&p, moving, n, &req);
        free(moving);
        if (r != HTTP_PARSE_INCOMPLETE) {
            unit_fail(__FILE__, __LINE__, "result %d after %zu bytes", r, n);
            return;
        }
    }
    CHECK_INT(http_parse(&p, s, len, &req), HTTP_PARSE_OK);
    CHECK_INT(req.consumed, whole);
    CHECK_MEM(req.path, req.path_len, "/ready");
    CHECK_INT(req.content_length, 2);
}

TEST(http_bad_methods_and_targets) {
    CHECK_INT(parse_status("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET /\r\n\r\n"), 400);
    /* Any token is a method; the listener answers 405 for those it does not serve. */
    http_request req;
    CHECK_INT(parse_all("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_OK);
    CHECK_INT(req.method, HTTP_METHOD_OTHER);
    CHECK_INT(parse_all("get / HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_OK);
    CHECK_INT(req.method, HTTP_METHOD_OTHER); /* methods are case-sensitive */
}

/* The error is known as soon as the request line is: a client sending
 * junk is answered without waiting for a header block. */
TEST(http_bad_request_line_fails_early) {
    http_request req;
    CHECK_INT(parse_all("HELLO THERE\r\n", &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 400);
    CHECK_INT(parse_all("GET / HTTP/1.1\r\nHost: a\r\n", &req), HTTP_PARSE_INCOMPLETE);
}

TEST(http_strict_line_endings_and_fields) {
    CHECK_INT(parse_status("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nX: \x7f\r\nHost: a\r\n\r\n"), 400);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\n\r\n"), 400);                       /* no Host */
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400); /* two */
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nHost: a\r\nX-Obs: caf\xc3\xa9\r\n\r\n"), 200);
    CHECK_INT(parse_status("GET / HTTP/1.1\r\nhOsT:a\r\n\r\n"), 200);
}

TEST(http_bodies_bounded_and_chunked_refused) {
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n0\r\n\r\n"),
              411);
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n"), 413);
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999"
                           "\r\n\r\n"),
              400);
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n"), 400);
    CHECK_INT(parse_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                           "Content-Length: 1\r\n\r\nx"),
              400);
    http_request req;
    const char *s = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab";
    CHECK_INT(parse_all(s, &req), HTTP_PARSE_INCOMPLETE);
}

TEST(http_header_bounds) {
    http_limits lim = {64, 128, 3, 0};
    http_parser p;
    http_request req;
    char buf[512];
    /* Request line over max_line: 414 before any CRLF arrives. */
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "GET /", 5);
    http_parser_init(&p, &lim);
    CHECK_INT(http_parse(&p, buf, 100, &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 414);
    /* A header block that never ends: 431 at max_header_bytes. */
    http_parser_init(&p, &lim);
    int n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ");
    memset(buf + n, 'b', sizeof buf - (size_t)n);
    CHECK_INT(http_parse(&p, buf, 128, &req), HTTP_PARSE_INCOMPLETE);
    CHECK_INT(http_parse(&p, buf, 129, &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 431);
    /* Too many fields. */
    http_parser_init(&p, &lim);
    const char *many = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    CHECK_INT(http_parse(&p, many, strlen(many), &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 431);
    /* max_body 0: any body is too large. */
    http_parser_init(&p, &lim);
    const char *body = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx";
    CHECK_INT(http_parse(&p, body, strlen(body), &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 413);
    /* Empty lines before the request line are bounded too. */
    http_parser_init(&p, &lim);
    for (int i = 0; i < 100; i++)
        memcpy(buf + 2 * i, "\r\n", 2);
    CHECK_INT(http_parse(&p, buf, 200, &req), HTTP_PARSE_ERROR);
    CHECK_INT(req.status, 400);
}

TEST(http_writes_responses) {
    resp_buf b = {0};
    http_write_response(&b, 404, "text/plain", "Allow: GET\r\n", "nope\n", 5, 0, 1);
    CHECK_MEM(b.data, b.len,
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
              "Connection: keep-alive\r\nCache-Control: no-store\r\nAllow: GET\r\n\r\nnope\n");
    b.len = 0;
    http_write_response(&b, 200, NULL, NULL, "body", 4, 1, 0);
    CHECK_MEM(b.data, b.len,
              "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n"
              "Cache-Control: no-store\r\n\r\n");
    resp_buf_free(&b);
    CHECK_STR(http_reason(431), "Request Header Fields Too Large");
}

TEST(metrics_buckets) {
    CHECK_INT(metrics_bucket_of(0), 0);
    CHECK_INT(metrics_bucket_of(10), 0);
    CHECK_INT(metrics_bucket_of(11), 1);
    CHECK_INT(metrics_bucket_of(1000), 6);
    CHECK_INT(metrics_bucket_of(10000000), METRICS_BUCKETS - 1);
    CHECK_INT(metrics_bucket_of(10000001), METRICS_BUCKETS);
}

/* ---- the listener on a real loop ---------------------------------------------------------- */

/* Runs the loop until fd has something to read (or EOF), at most ms. */
static int pump_until_readable(loop *l, int fd, long long ms) {
    long long end = loop_mono_us() + ms * 1000;
    while (loop_mono_us() < end) {
        loop_run_once(l, 10);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 0) == 1) return 1;
    }
    return 0;
}

/* Reads what the server sent until EOF or nothing more for a while. */
static size_t drain(loop *l, int fd, char *buf, size_t cap, int *eof) {
    size_t n = 0;
    *eof = 0;
    while (n + 1 < cap && pump_until_readable(l, fd, 300)) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r <= 0) {
            *eof = 1;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

static int connect_admin(void) {
    char err[NET_ERR_LEN];
    return net_connect_tcp("127.0.0.1", admin_bound_port(), 0, err);
}

static loop *start_admin(int max_conns, long long timeout_ms) {
    loop *l = loop_new(1024);
    admin_options o;
    admin_default_options(&o, "127.0.0.1", 0);
    o.max_conns = max_conns;
    o.timeout_ms = timeout_ms;
    char err[NET_ERR_LEN];
    if (admin_start(l, &o, err) < 0) {
        loop_free(l);
        return NULL;
    }
    return l;
}

static void stop_admin(loop *l) {
    admin_stop();
    loop_free(l);
}

TEST(admin_slowloris_gets_408_and_close) {
    loop *l = start_admin(4, 300);
    CHECK(l);
    int fd = connect_admin();
    CHECK(fd >= 0);
    long long start = loop_mono_us();
    /* A byte every 100 ms never completes the request within the deadline. */
    const char *drip = "GET /health HTTP/1.1\r\nHost: x\r\n";
    char buf[1024];
    int eof = 0;
    for (size_t i = 0; i < strlen(drip) && !eof; i++) {
        if (write(fd, drip + i, 1) != 1) break;
        long long until = loop_mono_us() + 100000;
        while (loop_mono_us() < until)
            loop_run_once(l, 10);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 0) == 1) break;
    }
    drain(l, fd, buf, sizeof buf, &eof);
    long long took_ms = (loop_mono_us() - start) / 1000;
    close(fd);
    int conns = admin_connection_count();
    stop_admin(l);
    CHECK(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
    CHECK(eof);
    CHECK_INT(conns, 0);
    CHECK(took_ms >= 250 && took_ms < 3000);
}

TEST(admin_idle_keepalive_closed_silently) {
    loop *l = start_admin(4, 200);
    CHECK(l);
    int fd = connect_admin();
    CHECK(fd >= 0);
    const char *req =
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT(write(fd, req, strlen(req)), strlen(req));
    char buf[4096];
    int eof = 0;
    drain(l, fd, buf, sizeof buf, &eof);
    /* Both answered on the same connection, which then idles out. */
    CHECK(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(buf, "HTTP/1.1 404 Not Found\r\n") != NULL);
    if (!eof) drain(l, fd, buf + strlen(buf), sizeof buf - strlen(buf), &eof);
    close(fd);
    stop_admin(l);
    CHECK(eof);
}

TEST(admin_connection_limit) {
    loop *l = start_admin(2, 5000);
    CHECK(l);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_admin();
        loop_run_once(l, 50);
    }
    for (int i = 0; i < 5; i++)
        loop_run_once(l, 20);
    int conns = admin_connection_count();
    char buf[512];
    int eof = 0;
    drain(l, fds[2], buf, sizeof buf, &eof);
    /* The first two still work. */
    const char *req = "GET /health HTTP/1.0\r\n\r\n";
    ssize_t w = write(fds[0], req, strlen(req));
    char ok[512];
    int eof0 = 0;
    drain(l, fds[0], ok, sizeof ok, &eof0);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    stop_admin(l);
    CHECK_INT(conns, 2);
    CHECK(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
    CHECK(eof);
    CHECK_INT(w, strlen(req));
    CHECK(strncmp(ok, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(eof0); /* HTTP/1.0 without keep-alive: closed after the answer */
}

TEST(admin_bad_request_closes) {
    loop *l = start_admin(4, 5000);
    CHECK(l);
    int fd = connect_admin();
    CHECK(fd >= 0);
    const char *req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\nGET / HTTP/1.1\r\n";
    CHECK_INT(write(fd, req, strlen(req)), strlen(req));
    char buf[4096];
    int eof = 0;
    drain(l, fd, buf, sizeof buf, &eof);
    close(fd);
    stop_admin(l);
    char *second = strstr(buf, "HTTP/1.1 400 Bad Request\r\n");
    CHECK(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(second != NULL);
    CHECK(strstr(second, "Connection: close\r\n") != NULL);
    CHECK(strstr(second + 1, "HTTP/1.1") == NULL); /* nothing after the error */
    CHECK(eof);
}
