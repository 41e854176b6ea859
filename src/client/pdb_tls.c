/*
 * pdb_tls.c - TLS for libpairdb connections (OpenSSL 3): the client
 * handshake over an already connected non-blocking socket, then reads and
 * writes with the recv()/send() conventions pdb_net.c expects.
 *
 * Each connection builds its own SSL_CTX from its options at every
 * connect: certificates rotated on disk are picked up by the next
 * reconnect, and nothing is shared between threads.
 *
 * OpenSSL writes with write(2), which raises SIGPIPE when the server has
 * gone; a library must not kill or disturb its program for that, so every
 * OpenSSL call that may write runs with SIGPIPE blocked in the calling
 * thread, and a SIGPIPE it caused is taken back before unblocking.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/client_int.h"

typedef struct pipe_guard {
    sigset_t old;
    int was_pending;
} pipe_guard;

static void pipe_block(pipe_guard *g) {
    sigset_t pipe_only, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &g->old);
}

static void pipe_unblock(pipe_guard *g) {
    int saved = errno;
    sigset_t pipe_only, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
    errno = saved;
}

/* The latest OpenSSL error as text, drained from the queue. */
static const char *ssl_reason(char *buf, size_t len) {
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", errno ? strerror(errno) : "connection closed");
    ERR_clear_error();
    return buf;
}

static SSL_CTX *build_ctx(pdb_conn *c) {
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        cl_set_error(c, PDB_ERR_IO, "TLS: %s", ssl_reason(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const pdb_options *o = &c->opt;
    if (o->tls_verify) {
        int ok = o->tls_ca_file || o->tls_ca_dir
                     ? SSL_CTX_load_verify_locations(ctx, o->tls_ca_file, o->tls_ca_dir)
                     : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1) {
            cl_set_error(c, PDB_ERR_IO, "TLS: loading the CA certificates: %s",
                         ssl_reason(why, sizeof why));
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (o->tls_cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, o->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            cl_set_error(c, PDB_ERR_IO, "TLS: loading the client certificate: %s",
                         ssl_reason(why, sizeof why));
            goto fail;
        }
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Server name to check the certificate against, and SNI when it is a name. */
static int set_peer_name(pdb_conn *c, SSL *ssl) {
    const char *name = c->opt.tls_server_name ? c->opt.tls_server_name : c->host;
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    if (!is_ip && SSL_set_tlsext_host_name(ssl, name) != 1) return -1;
    if (!c->opt.tls_verify) return 0;
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 ? 0 : -1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(ssl, name) == 1 ? 0 : -1;
}

/* Waits for what OpenSSL asked for; 1 ready, 0 deadline passed, -1 error. */
static int wait_for(int fd, int want, uint64_t deadline) {
    for (;;) {
        int ms = -1;
        if (deadline) {
            uint64_t now = cl_now_us();
            ms = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
        }
        struct pollfd p = {.fd = fd, .events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
        int rc = poll(&p, 1, ms);
        if (rc >= 0) return rc > 0;
        if (errno != EINTR) return -1;
    }
}

/* Drops a session whose handshake did not finish (nothing to shut down). */
static void abandon(pdb_conn *c) {
    SSL_free(c->ssl);
    ERR_clear_error();
    c->ssl = NULL;
}

int cl_tls_begin(pdb_conn *c) {
    SSL_CTX *ctx = build_ctx(c);
    if (!ctx) return c->err;
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the session holds its own reference */
    char why[256];
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1 || set_peer_name(c, ssl) < 0) {
        cl_set_error(c, PDB_ERR_IO, "TLS: %s", ssl_reason(why, sizeof why));
        SSL_free(ssl);
        return PDB_ERR_IO;
    }
    c->ssl = ssl;
    return PDB_OK;
}

int cl_tls_step(pdb_conn *c, int *want_write) {
    char why[256];
    ERR_clear_error();
    errno = 0;
    pipe_guard g;
    pipe_block(&g);
    int r = SSL_connect(c->ssl);
    pipe_unblock(&g);
    if (r == 1) return PDB_OK;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want_write = e == SSL_ERROR_WANT_WRITE;
        return 1;
    }
    long verify = SSL_get_verify_result(c->ssl);
    if (verify != X509_V_OK)
        snprintf(why, sizeof why, "certificate verify failed: %s",
                 X509_verify_cert_error_string(verify));
    else
        ssl_reason(why, sizeof why);
    cl_set_error(c, PDB_ERR_IO, "TLS handshake with %s:%d: %s", c->host, c->opt.port, why);
    abandon(c);
    return PDB_ERR_IO;
}

int cl_tls_start(pdb_conn *c, uint64_t deadline) {
    int rc = cl_tls_begin(c);
    int want_write = 0;
    while (rc == PDB_OK && (rc = cl_tls_step(c, &want_write)) == 1) {
        int ready = wait_for(c->fd, want_write ? SSL_ERROR_WANT_WRITE : SSL_ERROR_WANT_READ,
                             deadline);
        if (ready > 0) {
            rc = PDB_OK;
            continue;
        }
        if (ready == 0)
            cl_set_error(c, PDB_ERR_TIMEOUT, "TLS handshake with %s:%d timed out", c->host,
                         c->opt.port);
        else
            cl_set_error(c, PDB_ERR_IO, "TLS handshake with %s:%d: %s", c->host, c->opt.port,
                         strerror(errno));
        abandon(c);
        return c->err;
    }
    return rc;
}

void cl_tls_close(pdb_conn *c) {
    SSL *ssl = c->ssl;
    if (!ssl) return;
    pipe_guard g;
    pipe_block(&g);
    SSL_shutdown(ssl);
    pipe_unblock(&g);
    SSL_free(ssl);
    ERR_clear_error();
    c->ssl = NULL;
}

/* SSL_read / SSL_write failure in recv()/send() terms. */
static long io_result(pdb_conn *c, int r) {
    int e = SSL_get_error(c->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (errno == 0) return 0; /* EOF without close_notify */
            return -1;
        }
        /* fall through */
    default:
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

long cl_tls_recv(pdb_conn *c, void *buf, size_t len) {
    size_t got = 0;
    ERR_clear_error();
    errno = 0;
    pipe_guard g;
    pipe_block(&g);
    int ok = SSL_read_ex(c->ssl, buf, len, &got); /* may answer a key update */
    pipe_unblock(&g);
    return ok == 1 ? (long)got : io_result(c, 0);
}

long cl_tls_send(pdb_conn *c, const void *buf, size_t len) {
    size_t sent = 0;
    ERR_clear_error();
    errno = 0;
    pipe_guard g;
    pipe_block(&g);
    int ok = SSL_write_ex(c->ssl, buf, len, &sent);
    pipe_unblock(&g);
    if (ok == 1) return (long)sent;
    long r = io_result(c, 0);
    if (r == 0) errno = EPIPE;
    return -1;
}
