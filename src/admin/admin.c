/*
 * admin.c - the admin HTTP listener on the server's event loop (see
 * admin.h).
 *
 * A connection's life: accepted (or answered 503 when max_conns are
 * open), bytes read into its fixed buffer, every complete request parsed
 * and answered into its output buffer at once, output written as the
 * socket takes it. A protocol error is answered and the connection closes
 * once the answer is out. One timer serves every connection's deadline and
 * measures the loop's lag (health.h).
 *
 * With admin-tls the same connection runs over TLS, made from the context
 * of tls.c (so CONFIG SET of a tls-* setting reaches new admin
 * connections too): a non-blocking server handshake first, driven one
 * step per loop event and bounded by tls-handshake-timeout through the
 * connection's deadline, then reads and writes through OpenSSL. A socket
 * with no bytes left may still have decrypted bytes inside OpenSSL; a
 * zero-delay timer takes them up, as the socket will not signal again.
 */
#include "admin/admin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "admin/health.h"
#include "admin/metrics.h"
#include "ds/mem.h"
#include "server/config.h"
#include "server/log.h"
#include "server/net.h"
#include "server/tls.h"

#define ADMIN_ACCEPTS_PER_EVENT 32

typedef struct admin_conn {
    int fd;
    char *in;
    size_t inlen, incap;
    resp_buf out;
    size_t out_sent;
    http_parser parser;
    long long deadline_us; /* monotonic */
    int closing;           /* no more requests: close once out is sent */
    SSL *ssl;              /* NULL on a plain admin port */
    int handshake_done;
    int handshake_mask;      /* what the handshake waits for (LOOP_*) */
    int read_wants_write;    /* SSL_read needs the socket writable */
    int write_wants_read;    /* SSL_write needs the socket readable */
    long long pending_timer; /* takes up bytes OpenSSL already holds */
    struct admin_conn *prev, *next;
} admin_conn;

static struct {
    loop *l;
    admin_options opt;
    int listen_fd;
    int port;
    long long timer_id;
    admin_conn *conns;
    int nconns;
    long long requests, rejected;
} A = {.listen_fd = -1};

static const char rejected_reply[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
    "Connection: close\r\n\r\ntoo many admin connections\n";

void admin_default_options(admin_options *o, const char *bind, int port) {
    memset(o, 0, sizeof *o);
    o->bind = bind;
    o->port = port;
    o->max_conns = ADMIN_MAX_CONNS;
    o->timeout_ms = ADMIN_TIMEOUT_MS;
    o->limits =
        (http_limits){HTTP_MAX_LINE, HTTP_MAX_HEADER_BYTES, HTTP_MAX_HEADERS, HTTP_MAX_BODY};
}

int admin_bound_port(void) {
    return A.listen_fd >= 0 ? A.port : 0;
}

int admin_connection_count(void) {
    return A.nconns;
}

/* ---- connections ------------------------------------------------------------------------- */

static void admin_conn_free(admin_conn *c) {
    loop_watch(A.l, c->fd, LOOP_NONE, NULL, NULL);
    if (c->pending_timer) loop_timer_del(A.l, c->pending_timer);
    if (c->ssl) {
        /* One close_notify, without waiting for the peer's. */
        if (c->handshake_done) SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        ERR_clear_error();
    }
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        A.conns = c->next;
    if (c->next) c->next->prev = c->prev;
    A.nconns--;
    resp_buf_free(&c->out);
    mem_free(c->in);
    mem_free(c);
}

static size_t admin_conn_unsent(const admin_conn *c) {
    return c->out.len - c->out_sent;
}

static void admin_conn_event(loop *l, int fd, void *data, int mask);
static void admin_reset_deadline(admin_conn *c);

static int admin_conn_may_read(const admin_conn *c) {
    return !c->closing && admin_conn_unsent(c) < ADMIN_OUT_HIGH;
}

/* Reads while it may take more requests; writes while output waits; a
 * TLS session also waits for whatever OpenSSL asked for. */
static int admin_conn_update_mask(admin_conn *c) {
    int mask = LOOP_NONE;
    if (c->ssl && !c->handshake_done) {
        mask = c->handshake_mask;
    } else {
        if (admin_conn_may_read(c) || c->write_wants_read) mask |= LOOP_READABLE;
        if (admin_conn_unsent(c) || c->read_wants_write) mask |= LOOP_WRITABLE;
    }
    if (loop_mask(A.l, c->fd) == mask) return 0;
    return loop_watch(A.l, c->fd, mask, admin_conn_event, c);
}

/* ---- TLS ----------------------------------------------------------------------------------- */

/* Maps an SSL_read / SSL_write failure to read(2) / write(2)'s convention. */
static ssize_t admin_tls_failure(admin_conn *c, int r, int reading) {
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        if (!reading) c->write_wants_read = 1;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        if (reading) c->read_wants_write = 1;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            /* EOF without close_notify reads as a plain EOF. */
            if (reading && errno == 0) return 0;
            if (errno == 0) errno = ECONNRESET;
            return -1;
        }
        /* fall through */
    default:
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

static ssize_t admin_io_read(admin_conn *c, char *buf, size_t len) {
    if (!c->ssl) return read(c->fd, buf, len);
    size_t got = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(c->ssl, buf, len, &got);
    return r == 1 ? (ssize_t)got : admin_tls_failure(c, r, 1);
}

static ssize_t admin_io_write(admin_conn *c, const char *buf, size_t len) {
    if (!c->ssl) return write(c->fd, buf, len);
    size_t sent = 0;
    ERR_clear_error();
    errno = 0;
    /* Partial writes and a moving buffer are allowed by tls.c's context:
     * a retry passes the same unsent bytes, maybe more behind them. */
    int r = SSL_write_ex(c->ssl, buf, len, &sent);
    return r == 1 ? (ssize_t)sent : admin_tls_failure(c, r, 0);
}

/* One handshake step: 1 when done, 0 while it goes on, -1 when it failed
 * (the connection is freed). */
static int admin_tls_handshake(admin_conn *c) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(c->ssl);
    if (r == 1) {
        c->handshake_done = 1;
        admin_reset_deadline(c);
        return 1;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->handshake_mask = e == SSL_ERROR_WANT_READ ? LOOP_READABLE : LOOP_WRITABLE;
        if (admin_conn_update_mask(c) < 0) {
            admin_conn_free(c);
            return -1;
        }
        return 0;
    }
    char why[256];
    unsigned long code = ERR_peek_error();
    if (code)
        ERR_error_string_n(code, why, sizeof why);
    else
        snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "connection closed by peer");
    log_msg(LOG_VERBOSE, "Admin TLS handshake failed: %s", why);
    admin_conn_free(c);
    return -1;
}

static void admin_reset_deadline(admin_conn *c) {
    c->deadline_us = loop_mono_us() + A.opt.timeout_ms * 1000;
}

/* A handshake has tls-handshake-timeout (0: the request deadline). */
static void admin_handshake_deadline(admin_conn *c) {
    long long ms = config_get_int("tls-handshake-timeout");
    if (ms <= 0) ms = A.opt.timeout_ms;
    c->deadline_us = loop_mono_us() + ms * 1000;
}

/* ---- routing ----------------------------------------------------------------------------- */

enum { ROUTE_NONE, ROUTE_METRICS, ROUTE_HEALTH, ROUTE_READY };

static int admin_route(const http_request *req) {
    static const struct {
        const char *path;
        int route;
    } routes[] = {{"/metrics", ROUTE_METRICS}, {"/health", ROUTE_HEALTH}, {"/ready", ROUTE_READY}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (req->path_len == strlen(routes[i].path) &&
            memcmp(req->path, routes[i].path, req->path_len) == 0)
            return routes[i].route;
    return ROUTE_NONE;
}

/* The admin listener's own figures, after the server's. */
static void admin_render_own_metrics(resp_buf *b) {
    resp_buf_appendf(b,
                     "# HELP pairdb_admin_connections Open admin HTTP connections.\n"
                     "# TYPE pairdb_admin_connections gauge\npairdb_admin_connections %d\n",
                     A.nconns);
    resp_buf_appendf(b,
                     "# HELP pairdb_admin_requests_total Admin HTTP requests answered.\n"
                     "# TYPE pairdb_admin_requests_total counter\n"
                     "pairdb_admin_requests_total %lld\n",
                     A.requests);
    resp_buf_appendf(b,
                     "# HELP pairdb_admin_rejected_connections_total Admin connections "
                     "refused (too many open).\n"
                     "# TYPE pairdb_admin_rejected_connections_total counter\n"
                     "pairdb_admin_rejected_connections_total %lld\n",
                     A.rejected);
}

static void admin_answer(admin_conn *c, const http_request *req) {
    int route = admin_route(req);
    int head = req->method == HTTP_METHOD_HEAD;
    A.requests++;
    if (route == ROUTE_NONE) {
        static const char body[] = "not found: the admin port serves /metrics, /health, /ready\n";
        http_write_response(&c->out, 404, "text/plain; charset=utf-8", NULL, body, sizeof body - 1,
                            head, req->keep_alive);
        return;
    }
    if (req->method == HTTP_METHOD_OTHER) {
        static const char body[] = "method not allowed: use GET or HEAD\n";
        http_write_response(&c->out, 405, "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n", body,
                            sizeof body - 1, 0, req->keep_alive);
        return;
    }
    resp_buf body = {0};
    int status = 200;
    const char *type = "application/json";
    if (route == ROUTE_METRICS) {
        metrics_render(&body);
        admin_render_own_metrics(&body);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (route == ROUTE_HEALTH) {
        status = health_render_live(&body);
    } else {
        status = health_render_ready(&body);
    }
    http_write_response(&c->out, status, type, NULL, body.data, body.len, head, req->keep_alive);
    resp_buf_free(&body);
}

static void admin_answer_error(admin_conn *c, const http_request *req) {
    char body[128];
    int n = snprintf(body, sizeof body, "%s\n", req->error ? req->error : http_reason(req->status));
    http_write_response(&c->out, req->status, "text/plain; charset=utf-8", NULL, body, (size_t)n, 0,
                        0);
    c->closing = 1;
}

/* Answers every complete request in the buffer, while output has room. */
static void admin_conn_process(admin_conn *c) {
    size_t used = 0;
    while (!c->closing && admin_conn_unsent(c) < ADMIN_OUT_HIGH) {
        http_request req;
        int r = http_parse(&c->parser, c->in + used, c->inlen - used, &req);
        if (r == HTTP_PARSE_INCOMPLETE) break;
        if (r == HTTP_PARSE_ERROR) {
            admin_answer_error(c, &req);
            break;
        }
        admin_answer(c, &req);
        used += req.consumed;
        admin_reset_deadline(c);
        if (!req.keep_alive) c->closing = 1;
    }
    if (used) {
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
    }
}

/* 0, or -1 when the connection was freed. */
static int admin_conn_flush(admin_conn *c) {
    while (admin_conn_unsent(c)) {
        ssize_t n = admin_io_write(c, c->out.data + c->out_sent, admin_conn_unsent(c));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            admin_conn_free(c);
            return -1;
        }
        c->out_sent += (size_t)n;
    }
    if (!admin_conn_unsent(c)) {
        /* A big answer's buffer is not kept for the next small one. */
        if (c->out.cap > 64 * 1024) resp_buf_free(&c->out);
        c->out.len = 0;
        c->out_sent = 0;
        if (c->closing) {
            admin_conn_free(c);
            return -1;
        }
    }
    return 0;
}

/* 0, or -1 when the connection was freed. */
static int admin_conn_read(admin_conn *c) {
    if (c->inlen == c->incap) {
        /* The parser answers before the buffer fills; never spin on a
         * readable socket that cannot be read. */
        admin_conn_free(c);
        return -1;
    }
    ssize_t n = admin_io_read(c, c->in + c->inlen, c->incap - c->inlen);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    if (n <= 0) {
        /* The peer is gone or done sending: finish what it asked, then close. */
        c->closing = 1;
        if (!admin_conn_unsent(c)) {
            admin_conn_free(c);
            return -1;
        }
        return 0;
    }
    c->inlen += (size_t)n;
    return 0;
}

static long long admin_on_pending(loop *l, long long id, void *data) {
    (void)id;
    admin_conn *c = data;
    c->pending_timer = 0;
    admin_conn_event(l, c->fd, c, LOOP_READABLE);
    return LOOP_TIMER_STOP;
}

/* Bytes OpenSSL decrypted but the connection did not take yet: the socket
 * will not signal them, so a zero-delay timer reads again. */
static void admin_tls_after_io(admin_conn *c) {
    if (c->ssl && c->handshake_done && !c->pending_timer && admin_conn_may_read(c) &&
        c->inlen < c->incap && SSL_has_pending(c->ssl))
        c->pending_timer = loop_timer_add(A.l, 0, admin_on_pending, c);
}

static void admin_conn_event(loop *l, int fd, void *data, int mask) {
    (void)l;
    (void)fd;
    admin_conn *c = data;
    if (c->ssl) {
        if (!c->handshake_done) {
            if (admin_tls_handshake(c) <= 0) return;
            mask = LOOP_READABLE; /* the first request may have come with the handshake */
        }
        /* Each side retries once the socket is ready for what OpenSSL wanted. */
        if (c->read_wants_write && (mask & LOOP_WRITABLE)) {
            c->read_wants_write = 0;
            mask |= LOOP_READABLE;
        }
        if (c->write_wants_read && (mask & LOOP_READABLE)) c->write_wants_read = 0;
    }
    if ((mask & LOOP_READABLE) && admin_conn_may_read(c) && admin_conn_read(c) < 0) return;
    /* Requests already buffered are taken up again once output drained. */
    admin_conn_process(c);
    if (admin_conn_flush(c) < 0) return;
    if (admin_conn_update_mask(c) < 0) {
        admin_conn_free(c);
        return;
    }
    admin_tls_after_io(c);
}

/* ---- accepting --------------------------------------------------------------------------- */

static void admin_reject(int fd) {
    /* A fresh socket's send buffer takes this whole; if not, the peer
     * simply sees the close. A TLS peer could not read plain text: it
     * only sees the close. */
    if (!A.opt.tls) {
        ssize_t ignored = write(fd, rejected_reply, sizeof rejected_reply - 1);
        (void)ignored;
    }
    close(fd);
    A.rejected++;
}

static void admin_accept_one(int fd) {
    if (A.nconns >= A.opt.max_conns) {
        admin_reject(fd);
        return;
    }
    if (fd >= loop_max_fds(A.l)) loop_resize(A.l, fd + 1024);
    admin_conn *c = mem_calloc(sizeof *c);
    c->fd = fd;
    c->incap = A.opt.limits.max_header_bytes + A.opt.limits.max_body + 1; /* see http.h */
    c->in = mem_alloc(c->incap);
    http_parser_init(&c->parser, &A.opt.limits);
    admin_reset_deadline(c);
    if (A.opt.tls) {
        c->ssl = tls_session_new(fd);
        c->handshake_mask = LOOP_READABLE; /* the client speaks first */
        admin_handshake_deadline(c);
    }
    c->next = A.conns;
    if (A.conns) A.conns->prev = c;
    A.conns = c;
    A.nconns++;
    if ((A.opt.tls && !c->ssl) || admin_conn_update_mask(c) < 0) {
        admin_conn_free(c);
        A.rejected++;
    }
}

static void admin_on_listener(loop *l, int fd, void *data, int mask) {
    (void)l;
    (void)data;
    (void)mask;
    char err[NET_ERR_LEN];
    for (int i = 0; i < ADMIN_ACCEPTS_PER_EVENT; i++) {
        int cfd = net_accept(fd, err);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_msg(LOG_VERBOSE, "Admin accept: %s", err);
            return;
        }
        admin_accept_one(cfd);
    }
}

/* ---- the timer: deadlines and loop lag ----------------------------------------------------- */

static void admin_expire(admin_conn *c) {
    if (c->inlen && !admin_conn_unsent(c) && !c->closing && (!c->ssl || c->handshake_done)) {
        static const char body[] = "request not completed in time\n";
        http_write_response(&c->out, 408, "text/plain; charset=utf-8", NULL, body, sizeof body - 1,
                            0, 0);
        c->closing = 1;
        if (admin_conn_flush(c) < 0) return;
    }
    admin_conn_free(c);
}

static long long admin_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    (void)data;
    long long now = loop_mono_us();
    health_tick(now);
    admin_conn *c = A.conns;
    while (c) {
        admin_conn *next = c->next;
        if (now >= c->deadline_us) admin_expire(c);
        c = next;
    }
    return HEALTH_TICK_MS;
}

/* ---- start and stop ---------------------------------------------------------------------- */

int admin_start(loop *l, const admin_options *o, char *err) {
    int fd = net_listen_tcp(o->bind, o->port, 128, err);
    if (fd < 0) return -1;
    if (loop_watch(l, fd, LOOP_READABLE, admin_on_listener, NULL) < 0) {
        if (err) snprintf(err, NET_ERR_LEN, "admin listener: %s", strerror(errno));
        close(fd);
        return -1;
    }
    A.l = l;
    A.opt = *o;
    A.listen_fd = fd;
    A.port = net_bound_port(fd);
    health_reset();
    A.timer_id = loop_timer_add(l, HEALTH_TICK_MS, admin_timer, NULL);
    return 0;
}

void admin_start_from_config(loop *l) {
    if (!cfg->admin_port) return;
    admin_options o;
    admin_default_options(&o, cfg->admin_bind && cfg->admin_bind[0] ? cfg->admin_bind : "127.0.0.1",
                          cfg->admin_port);
    o.tls = config_get_int("admin-tls") > 0;
    /* Never plain HTTP when TLS was asked for: without a context the
     * port stays off. tls-port's start-up already built one if set. */
    if (o.tls && !tls_ready() && tls_configure() < 0) {
        log_msg(LOG_WARNING, "The admin port is off: admin-tls is yes but the TLS settings do "
                             "not make a working context (see above).");
        return;
    }
    char err[NET_ERR_LEN];
    if (admin_start(l, &o, err) < 0) {
        log_msg(LOG_WARNING, "%s", err);
        log_msg(LOG_WARNING, "The admin port (/metrics, /health, /ready) is off: set admin-port "
                             "to a free port, or 0.");
        return;
    }
    log_msg(LOG_NOTICE, "Admin %s listener on %s:%d (/metrics /health /ready)",
            o.tls ? "HTTPS" : "HTTP", o.bind, A.port);
}

void admin_stop(void) {
    while (A.conns)
        admin_conn_free(A.conns);
    if (A.listen_fd >= 0) {
        loop_watch(A.l, A.listen_fd, LOOP_NONE, NULL, NULL);
        close(A.listen_fd);
        A.listen_fd = -1;
    }
    if (A.timer_id) loop_timer_del(A.l, A.timer_id);
    A.timer_id = 0;
    A.port = 0;
}
