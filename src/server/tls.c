/*
 * tls.c - TLS for client connections (see tls.h for the contract).
 *
 * One SSL_CTX serves every new connection; CONFIG SET of a tls-* setting
 * builds a fresh one and swaps it in only when it is complete, so a bad
 * certificate never takes the server's TLS down. Connections already up
 * keep the context they were made with (OpenSSL counts the references).
 *
 * Everything is non-blocking: the handshake advances one step per loop
 * event, and the loop is told which direction OpenSSL waits for. A peer
 * that never finishes the handshake is closed by a timer, so a silent
 * connection cannot hold a client slot forever.
 */
#include "server/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ds/mem.h"
#include "server/client.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

/* tls-auth-clients values (the config table's enum). */
enum { TLS_AUTH_NO = 0, TLS_AUTH_YES = 1, TLS_AUTH_OPTIONAL = 2 };

/* Largest record payload TLS allows: writes are cut to this so each
 * SSL_write makes one full record. */
#define TLS_RECORD_MAX (16 * 1024)

struct tls_conn {
    SSL *ssl;
    struct client *c;
    int handshake_done;
    int read_wants_write; /* SSL_read asked for the socket to be writable */
    long long handshake_timer;
    long long pending_timer;
};

static SSL_CTX *server_ctx;

/* ---- settings ---------------------------------------------------------- */

static const char *setting(const char *name) {
    const char *s = config_get_string(name);
    return s && s[0] ? s : NULL;
}

/* The latest OpenSSL error as text, drained from the queue. */
static const char *ssl_error_text(char *buf, size_t len) {
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, len, "%s", errno ? strerror(errno) : "unknown error");
    } else {
        ERR_error_string_n(e, buf, len);
    }
    ERR_clear_error();
    return buf;
}

/* tls-protocols: a space-separated subset of TLSv1 .. TLSv1.3; empty means
 * TLSv1.2 and TLSv1.3. Sets the SSL_OP_NO_* options for the rest. */
static int apply_protocols(SSL_CTX *ctx) {
    const char *spec = setting("tls-protocols");
    if (!spec) spec = "TLSv1.2 TLSv1.3";
    static const struct {
        const char *name;
        unsigned long no_option;
    } versions[] = {{"TLSv1", SSL_OP_NO_TLSv1},
                    {"TLSv1.1", SSL_OP_NO_TLSv1_1},
                    {"TLSv1.2", SSL_OP_NO_TLSv1_2},
                    {"TLSv1.3", SSL_OP_NO_TLSv1_3}};
    enum { NVERSIONS = sizeof versions / sizeof versions[0] };
    int wanted[NVERSIONS] = {0};
    int any = 0;
    const char *p = spec;
    while (*p) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n == 0) break;
        int found = 0;
        for (int i = 0; i < NVERSIONS; i++) {
            if (strlen(versions[i].name) == n && strncasecmp(p, versions[i].name, n) == 0) {
                wanted[i] = found = any = 1;
            }
        }
        if (!found) {
            log_msg(LOG_WARNING, "Invalid tls-protocols specified. Use a combination of 'TLSv1', "
                                 "'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
            return -1;
        }
        p += n;
    }
    if (!any) {
        log_msg(LOG_WARNING, "Invalid tls-protocols specified: no protocol named.");
        return -1;
    }
    /* OpenSSL 3 still permits TLSv1/1.1 at level 0 only; naming them asks for them. */
    SSL_CTX_set_min_proto_version(ctx, 0);
    for (int i = 0; i < NVERSIONS; i++)
        if (!wanted[i]) SSL_CTX_set_options(ctx, versions[i].no_option);
    return 0;
}

/* Passphrase for an encrypted private key: tls-key-file-pass. */
static int key_password(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    const char *pass = userdata;
    if (!pass || size <= 0) return 0;
    size_t n = strlen(pass);
    if (n > (size_t)size) n = (size_t)size;
    memcpy(buf, pass, n);
    return (int)n;
}

static int load_identity(SSL_CTX *ctx) {
    char why[256];
    const char *cert = setting("tls-cert-file"), *key = setting("tls-key-file");
    if (!cert || !key) {
        log_msg(LOG_WARNING, "No tls-cert-file or tls-key-file configured!");
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) <= 0) {
        log_msg(LOG_WARNING, "Failed to load certificate: %s: %s", cert,
                ssl_error_text(why, sizeof why));
        return -1;
    }
    SSL_CTX_set_default_passwd_cb(ctx, key_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)setting("tls-key-file-pass"));
    int ok = SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) > 0;
    /* The passphrase pointer belongs to the settings: do not keep it past this call. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    if (!ok) {
        log_msg(LOG_WARNING, "Failed to load private key: %s: %s", key,
                ssl_error_text(why, sizeof why));
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) <= 0) {
        log_msg(LOG_WARNING, "The private key %s does not match the certificate %s: %s", key, cert,
                ssl_error_text(why, sizeof why));
        return -1;
    }
    return 0;
}

static int load_client_verification(SSL_CTX *ctx) {
    char why[256];
    const char *ca_file = setting("tls-ca-cert-file"), *ca_dir = setting("tls-ca-cert-dir");
    long long auth = config_get_int("tls-auth-clients");
    if (!ca_file && !ca_dir) {
        if (auth == TLS_AUTH_NO) return 0;
        log_msg(LOG_WARNING, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
                             "tls-auth-clients is enabled!");
        return -1;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca_file, ca_dir) <= 0) {
        log_msg(LOG_WARNING, "Failed to configure CA certificate(s) file/directory: %s",
                ssl_error_text(why, sizeof why));
        return -1;
    }
    int mode = SSL_VERIFY_NONE;
    if (auth == TLS_AUTH_YES) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (auth == TLS_AUTH_OPTIONAL) mode = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, mode, NULL);
    return 0;
}

static int apply_ciphers(SSL_CTX *ctx) {
    char why[256];
    const char *ciphers = setting("tls-ciphers"), *suites = setting("tls-ciphersuites");
    if (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)) {
        log_msg(LOG_WARNING, "Failed to configure ciphers: %s", ssl_error_text(why, sizeof why));
        return -1;
    }
    if (suites && !SSL_CTX_set_ciphersuites(ctx, suites)) {
        log_msg(LOG_WARNING, "Failed to configure ciphersuites: %s",
                ssl_error_text(why, sizeof why));
        return -1;
    }
    if (config_get_int("tls-prefer-server-ciphers") > 0)
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    return 0;
}

static void apply_session_cache(SSL_CTX *ctx) {
    if (config_get_int("tls-session-caching") > 0) {
        static const unsigned char sid_ctx[] = "pairdb";
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, config_get_int("tls-session-cache-size"));
        SSL_CTX_set_timeout(ctx, config_get_int("tls-session-cache-timeout"));
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
}

static SSL_CTX *build_context(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        char why[256];
        log_msg(LOG_WARNING, "Failed to create TLS context: %s", ssl_error_text(why, sizeof why));
        return NULL;
    }
    /* Renegotiation would let a read need a write and the reverse at any
     * time; no client library needs it. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Output blocks move and grow between retries of the same write. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Without read-ahead every record costs two read(2)s (its header, then
     * its body); with it one read takes whatever the socket holds. Bytes
     * read ahead stay inside OpenSSL, which SSL_has_pending() reports: the
     * readers come back for them (tls_after_read, the admin port's reader). */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_dh_auto(ctx, 1);
    if (apply_protocols(ctx) < 0 || load_identity(ctx) < 0 || load_client_verification(ctx) < 0 ||
        apply_ciphers(ctx) < 0) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    apply_session_cache(ctx);
    return ctx;
}

int tls_configure(void) {
    SSL_CTX *ctx = build_context();
    if (!ctx) return -1;
    SSL_CTX_free(server_ctx);
    server_ctx = ctx;
    return 0;
}

int tls_apply_config(const char **err) {
    /* At start-up main() builds the context once every setting is read;
     * later only a server that serves TLS (clients or the admin port)
     * needs a context that works. */
    if (!server_loop() || (config_get_int("tls-port") <= 0 && config_get_int("admin-tls") <= 0))
        return 0;
    if (tls_configure() < 0) {
        *err = TLS_CONFIG_ERROR;
        return -1;
    }
    return 0;
}

int tls_ready(void) {
    return server_ctx != NULL;
}

void tls_shutdown(void) {
    SSL_CTX_free(server_ctx);
    server_ctx = NULL;
}

SSL *tls_session_new(int fd) {
    if (!server_ctx) return NULL;
    SSL *ssl = SSL_new(server_ctx);
    if (!ssl || !SSL_set_fd(ssl, fd)) {
        char why[256];
        log_msg(LOG_WARNING, "Error creating a TLS session: %s", ssl_error_text(why, sizeof why));
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

/* ---- connections -------------------------------------------------------- */

static long long on_handshake_timeout(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    tls_conn *t = data;
    t->handshake_timer = 0;
    log_msg(LOG_VERBOSE, "TLS handshake timed out: id=%llu addr=%s",
            (unsigned long long)t->c->id, t->c->addr);
    client_close_async(t->c);
    return LOOP_TIMER_STOP;
}

tls_conn *tls_conn_new(int fd, client *c) {
    if (!server_ctx) return NULL;
    SSL *ssl = SSL_new(server_ctx);
    if (!ssl || !SSL_set_fd(ssl, fd)) {
        char why[256];
        log_msg(LOG_WARNING, "Error creating a TLS connection: %s",
                ssl_error_text(why, sizeof why));
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    tls_conn *t = mem_calloc(sizeof *t);
    t->ssl = ssl;
    t->c = c;
    long long timeout = config_get_int("tls-handshake-timeout");
    if (timeout > 0)
        t->handshake_timer = loop_timer_add(server_loop(), timeout, on_handshake_timeout, t);
    return t;
}

void tls_conn_free(tls_conn *t) {
    if (!t) return;
    if (t->handshake_timer) loop_timer_del(server_loop(), t->handshake_timer);
    if (t->pending_timer) loop_timer_del(server_loop(), t->pending_timer);
    /* One close_notify, without waiting for the peer's: the fd closes next. */
    if (t->handshake_done) SSL_shutdown(t->ssl);
    SSL_free(t->ssl);
    ERR_clear_error();
    mem_free(t);
}

static void watch(client *c, int mask) {
    loop *l = server_loop();
    if (loop_mask(l, c->fd) != mask) loop_watch(l, c->fd, mask, client_on_event, c);
}

/* One step of the handshake. Frees the client when it fails. */
static void handshake_step(client *c) {
    tls_conn *t = c->tls;
    ERR_clear_error();
    int r = SSL_accept(t->ssl);
    if (r == 1) {
        t->handshake_done = 1;
        if (t->handshake_timer) loop_timer_del(server_loop(), t->handshake_timer);
        t->handshake_timer = 0;
        watch(c, LOOP_READABLE);
        /* The client's first request may already sit in OpenSSL's buffer. */
        tls_after_read(c);
        return;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        watch(c, LOOP_READABLE);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        watch(c, LOOP_READABLE | LOOP_WRITABLE);
        return;
    }
    char why[256];
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "connection closed by peer");
    else
        ssl_error_text(why, sizeof why);
    log_msg(LOG_VERBOSE, "Error accepting a client connection: %s (addr=%s)", why, c->addr);
    client_free(c); /* not inside a command: a handshaking client runs none */
}

int tls_conn_event(client *c, int mask) {
    tls_conn *t = c->tls;
    if (!t->handshake_done) {
        handshake_step(c);
        return 0;
    }
    if ((mask & LOOP_WRITABLE) && t->read_wants_write) {
        t->read_wants_write = 0;
        watch(c, LOOP_READABLE | (c->reply_bytes ? LOOP_WRITABLE : 0));
        return LOOP_READABLE;
    }
    return mask;
}

/* Maps an SSL_read/SSL_write failure to the read(2)/write(2) convention. */
static ssize_t io_failure(client *c, int r, int reading) {
    tls_conn *t = c->tls;
    int e = SSL_get_error(t->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        if (reading) {
            t->read_wants_write = 1;
            watch(c, loop_mask(server_loop(), c->fd) | LOOP_WRITABLE);
        }
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            /* EOF without close_notify reads as a plain EOF. */
            if (reading && errno == 0) return 0;
            if (errno == 0) errno = ECONNRESET;
            ERR_clear_error();
            return -1;
        }
        /* fall through */
    default: {
        char why[256];
        log_msg(LOG_VERBOSE, "TLS error on client id=%llu: %s", (unsigned long long)c->id,
                ssl_error_text(why, sizeof why));
        errno = EPROTO;
        return -1;
    }
    }
}

ssize_t tls_read(client *c, void *buf, size_t len) {
    size_t got = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(c->tls->ssl, buf, len, &got);
    if (r == 1) return (ssize_t)got;
    return io_failure(c, r, 1);
}

/* Copies up to TLS_RECORD_MAX bytes of the iovecs into out. */
static size_t gather(const struct iovec *iov, int iovcnt, size_t skip, char *out) {
    size_t n = 0;
    for (int i = 0; i < iovcnt && n < TLS_RECORD_MAX; i++) {
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        size_t take = len - skip;
        if (take > TLS_RECORD_MAX - n) take = TLS_RECORD_MAX - n;
        memcpy(out + n, (const char *)iov[i].iov_base + skip, take);
        n += take;
        skip = 0;
    }
    return n;
}

ssize_t tls_writev(client *c, const struct iovec *iov, int iovcnt) {
    static char record[TLS_RECORD_MAX];
    size_t written = 0;
    for (;;) {
        /* Small replies are gathered so one record carries many; a retry
         * after WANT_WRITE gathers the same leading bytes again, as
         * OpenSSL requires (the queue only grows at its tail). */
        size_t n = gather(iov, iovcnt, written, record);
        if (n == 0) return (ssize_t)written;
        size_t sent = 0;
        ERR_clear_error();
        errno = 0;
        int r = SSL_write_ex(c->tls->ssl, record, n, &sent);
        if (r != 1) {
            ssize_t f = io_failure(c, r, 0);
            if (written > 0 && f < 0 && errno == EAGAIN) return (ssize_t)written;
            if (f == 0) errno = EPIPE;
            return -1;
        }
        written += sent;
        if (sent < n) return (ssize_t)written;
    }
}

static long long on_pending_data(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    tls_conn *t = data;
    client *c = t->c;
    if (!SSL_has_pending(t->ssl) || (c->flags & CLIENT_CLOSE_ASAP)) {
        t->pending_timer = 0;
        return LOOP_TIMER_STOP;
    }
    /* A command still running (a busy script) leaves the bytes: try again. */
    if (c->flags & CLIENT_IN_CALL) return 1;
    t->pending_timer = 0;
    /* The read handler may free the client (end of session) and with it this
     * connection, so nothing of t is used after it; it re-arms as needed. */
    client_on_event(server_loop(), c->fd, c, LOOP_READABLE);
    return LOOP_TIMER_STOP;
}

void tls_after_read(client *c) {
    tls_conn *t = c->tls;
    if (t->pending_timer || !SSL_has_pending(t->ssl)) return;
    t->pending_timer = loop_timer_add(server_loop(), 0, on_pending_data, t);
}
