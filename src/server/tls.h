/*
 * tls.h - TLS for client connections (OpenSSL 3): the server context built
 * from the tls-* settings, and the per-connection layer the client code
 * reads and writes through when a connection came in on the TLS port.
 *
 * Lifecycle of a TLS connection: client_create() calls tls_conn_new(),
 * which starts a non-blocking server handshake and a handshake timer.
 * Until the handshake completes every loop event of the client goes to
 * tls_conn_event(), which drives SSL_accept and watches what OpenSSL wants
 * (WANT_READ / WANT_WRITE). Then tls_read() / tls_writev() replace
 * read() / writev(); tls_conn_free() sends close_notify and frees.
 *
 * Plain connections never enter this file: the client code tests c->tls
 * once per read or write.
 */
#ifndef PAIRDB_TLS_H
#define PAIRDB_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct client;
typedef struct tls_conn tls_conn;

/* What the CONFIG SET apply hook reports when the new settings do not
 * make a usable context (the details go to the log), as Redis words it. */
#define TLS_CONFIG_ERROR "Unable to update TLS configuration. Check server logs."

/* Builds the server context from the current tls-* settings and makes it
 * the one new connections use. Returns 0, or -1 with the reason logged;
 * the previous context stays in use on failure. */
int tls_configure(void);
/* CONFIG SET hook for every tls-* setting: rebuilds the context when TLS
 * is in use (tls-port set), else accepts the value as is. */
int tls_apply_config(const char **err);
/* 1 once a context exists. */
int tls_ready(void);
/* A server-side session on fd made from the current context, in accept
 * state, for a listener that drives OpenSSL itself (the admin port).
 * NULL when no context exists or OpenSSL fails (logged). The caller owns
 * it (SSL_free); it keeps its context alive across a reload. */
struct ssl_st *tls_session_new(int fd);
/* Frees the context (shutdown). */
void tls_shutdown(void);

/* Starts the server side of a handshake on fd for client c. NULL when no
 * context is configured or OpenSSL fails (logged). */
tls_conn *tls_conn_new(int fd, struct client *c);
/* Sends close_notify when the session was up, frees everything and
 * cancels the connection's timers. Does not close the fd. */
void tls_conn_free(tls_conn *t);

/* Loop event for a TLS client. Returns the direction(s) the plain client
 * handlers should now process (LOOP_READABLE / LOOP_WRITABLE), or 0 when
 * the event was consumed here (handshake step; the client may have been
 * freed then, so the caller must not touch it). */
int tls_conn_event(struct client *c, int mask);

/* Like read(2): bytes read, 0 at the end of the session (close_notify or
 * EOF), -1 with errno (EAGAIN when no whole record is there yet). */
ssize_t tls_read(struct client *c, void *buf, size_t len);
/* Like writev(2): bytes of plaintext taken, -1 with errno (EAGAIN when
 * the socket is full). A short count means the socket filled. */
ssize_t tls_writev(struct client *c, const struct iovec *iov, int iovcnt);
/* After the read handler ran: when OpenSSL still holds decrypted bytes
 * the socket will not signal again, so schedule another read. */
void tls_after_read(struct client *c);

#endif
