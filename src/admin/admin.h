/*
 * admin.h - the admin HTTP listener: /metrics, /health, /ready.
 *
 * A second listening socket (admin-bind:admin-port, 127.0.0.1:9379 by
 * default, 0 = off) served by the server's own event loop, so a probe
 * answered is proof the loop runs. Everything is bounded so the admin port
 * can never slow the data port: at most max_conns connections (more are
 * answered 503 and closed), a fixed input buffer per connection (header
 * block and body limits of http.h), responses generated in one go, reading
 * paused while a connection has more than ADMIN_OUT_HIGH bytes unsent, and
 * one deadline per request: a connection that has not completed its next
 * request (or taken its answer) timeout_ms after the previous one is
 * closed, a half-sent request with 408. Keep-alive and pipelining work as
 * HTTP/1.1 says.
 *
 * With admin-tls yes the port serves HTTPS instead, with the server's TLS
 * settings (certificate, CA, tls-auth-clients for client certificates);
 * a handshake not done within tls-handshake-timeout is closed.
 *
 * Routes: GET or HEAD only (other methods: 405); anything else is 404.
 *   /metrics  Prometheus text format 0.0.4 (metrics.h)
 *   /health   liveness: 200, or 503 when the loop stalled (health.h)
 *   /ready    readiness: 200, or 503 with the reasons (health.h)
 */
#ifndef PAIRDB_ADMIN_H
#define PAIRDB_ADMIN_H

#include "admin/http.h"
#include "server/loop.h"

#define ADMIN_MAX_CONNS 64
#define ADMIN_TIMEOUT_MS 10000
#define ADMIN_OUT_HIGH (256 * 1024)

typedef struct admin_options {
    const char *bind;
    int port; /* 0: any free port (see admin_bound_port) */
    int max_conns;
    long long timeout_ms;
    http_limits limits;
    int tls; /* serve HTTPS with tls.c's context (admin-tls) */
} admin_options;

/* The defaults above with the given address. */
void admin_default_options(admin_options *o, const char *bind, int port);
/* Starts listening on l. 0, or -1 with err (NET_ERR_LEN bytes) filled. */
int admin_start(loop *l, const admin_options *o, char *err);
/* Server start-up: admin_start with admin-bind/admin-port; nothing when
 * admin-port is 0. A port that cannot be bound is logged and left off:
 * the data port is what the server is for. */
void admin_start_from_config(loop *l);
/* The port listened on, 0 when off. */
int admin_bound_port(void);
/* Open admin connections. */
int admin_connection_count(void);
/* Closes the listener and every connection; frees the metrics. */
void admin_stop(void);

#endif
