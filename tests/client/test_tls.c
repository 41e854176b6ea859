/*
 * test_tls.c - libpairdb over TLS (rediss://) against both servers' TLS port.
 *
 * Certificates are made once with the openssl CLI in a temp dir: a CA, a
 * server certificate for 127.0.0.1/localhost, a client certificate from the
 * CA, and a foreign CA that signed nothing the server knows. Also the async
 * connection reconnecting over TLS without blocking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async_loop.h"
#include "harness.h"

static char cert_dir[64];

static void remove_certs(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cert_dir);
    if (system(cmd) != 0) {
    }
}

/* Path of a file in the certificate dir, made on first use ("" on failure). */
static const char *cert(const char *name) {
    static char path[8][128];
    static int next;
    if (!cert_dir[0]) {
        snprintf(cert_dir, sizeof cert_dir, "/tmp/pdbtls-XXXXXX");
        if (!mkdtemp(cert_dir)) return "";
        atexit(remove_certs);
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && exec >/dev/null 2>&1 && "
                 "openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -keyout ca.key "
                 "-out ca.crt -subj /CN=ca && "
                 "openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -keyout foreign.key "
                 "-out foreign.crt -subj /CN=foreign && "
                 "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext && "
                 "openssl req -new -nodes -newkey rsa:2048 -keyout server.key -out server.csr "
                 "-subj /CN=localhost && "
                 "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                 "-days 2 -out server.crt -extfile server.ext && "
                 "openssl req -new -nodes -newkey rsa:2048 -keyout client.key -out client.csr "
                 "-subj /CN=client && "
                 "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                 "-days 2 -out client.crt",
                 cert_dir);
        if (system(cmd) != 0) return "";
    }
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", cert_dir, name);
    return p;
}

/* A server with a TLS port; auth: its tls-auth-clients. tls_port is set. */
static server *tls_server(const char *auth, int *tls_port) {
    static char port[16];
    *tls_port = free_port();
    snprintf(port, sizeof port, "%d", *tls_port);
    return server_start("--tls-port", port, "--tls-cert-file", cert("server.crt"),
                        "--tls-key-file", cert("server.key"), "--tls-ca-cert-file",
                        cert("ca.crt"), "--tls-auth-clients", auth, NULL);
}

static pdb_options tls_options(int port, const char *ca) {
    pdb_options o;
    pdb_options_init(&o);
    o.port = port;
    o.tls = 1;
    o.tls_ca_file = ca;
    o.reconnect_attempts = 1;
    return o;
}

TEST(tls_url_forms, ON_NONE) {
    pdb_options o;
    char buf[PDB_URL_MAX + 1], err[128];
    pdb_options_init(&o);
    CHECK_INT(o.tls, 0);
    CHECK_INT(o.tls_verify, 1);
    CHECK_INT(pdb_url_parse("rediss://:pw@example.org:6390/2", &o, buf, sizeof buf, err,
                            sizeof err),
              PDB_OK);
    CHECK_INT(o.tls, 1);
    CHECK_STR(o.host, "example.org");
    CHECK_INT(o.port, 6390);
    CHECK_INT(o.db, 2);
    CHECK_STR(o.password, "pw");
    CHECK_INT(pdb_url_parse("redis://example.org", &o, buf, sizeof buf, err, sizeof err), PDB_OK);
    CHECK_INT(o.tls, 0);
    CHECK_INT(pdb_url_parse("rediss://h:0", &o, buf, sizeof buf, err, sizeof err), PDB_ERR_ARG);

    pdb_options_init(&o);
    o.tls = 1;
    o.unix_path = "/tmp/x.sock";
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_STR(pdb_errstr(c), "TLS runs over TCP, not a unix socket");
    pdb_free(c);
    pdb_options_init(&o);
    o.tls_cert_file = "/tmp/c.crt";
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_STR(pdb_errstr(c), "tls_cert_file and tls_key_file go together");
    pdb_free(c);
}

TEST(tls_commands_and_pipeline, ON_BOTH) {
    int port;
    server *s = tls_server("no", &port);
    CHECK(s && s->pid > 0);
    pdb_options o = tls_options(port, cert("ca.crt"));
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply *r = pdb_command(c, "SET %s %s", "k", "over-tls");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    r = pdb_command(c, "GET %s", "k");
    CHECK_REPLY(r, PDB_REPLY_STRING, "over-tls");
    pdb_reply_free(r);
    /* A pipeline larger than one TLS record both ways. */
    for (int i = 0; i < 2000; i++) CHECK_INT(pdb_append_command(c, "INCR %s", "n"), PDB_OK);
    for (int i = 1; i <= 2000; i++) {
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        CHECK_INT(pdb_reply_integer(r), i);
        pdb_reply_free(r);
    }
    pdb_free(c);

    char url[128];
    snprintf(url, sizeof url, "rediss://localhost:%d", port);
    c = pdb_connect_url(url, &o);
    CHECK_INT(pdb_err(c), PDB_OK);
    r = pdb_command(c, "GET %s", "n");
    CHECK_REPLY(r, PDB_REPLY_STRING, "2000");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(tls_server_verification, ON_BOTH) {
    int port;
    server *s = tls_server("no", &port);
    CHECK(s && s->pid > 0);
    pdb_options o = tls_options(port, cert("foreign.crt"));
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK(strstr(pdb_errstr(c), "certificate verify failed") != NULL);
    pdb_free(c);

    o = tls_options(port, cert("ca.crt"));
    o.tls_server_name = "other.example";
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_ERR_IO);
    CHECK(strstr(pdb_errstr(c), "certificate verify failed") != NULL);
    pdb_free(c);

    o = tls_options(port, cert("foreign.crt"));
    o.tls_verify = 0;
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(tls_client_certificate, ON_BOTH) {
    int port;
    server *s = tls_server("yes", &port);
    CHECK(s && s->pid > 0);
    pdb_options o = tls_options(port, cert("ca.crt"));
    pdb_conn *c = pdb_connect(&o);
    /* TLSv1.3 finishes the client's side before the server refuses: the
     * refusal shows at the first exchange, as an I/O error or a close. */
    CHECK(pdb_err(c) == PDB_ERR_IO || pdb_err(c) == PDB_ERR_CLOSED);
    pdb_free(c);

    o.tls_cert_file = cert("client.crt");
    o.tls_key_file = cert("client.key");
    c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* ---- the async connection reconnecting over TLS ---- */

static int tls_done, tls_ok, tls_connect_fail;
static char tls_last_err[256];

static void tls_reply(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    (void)priv;
    tls_done++;
    if (err == PDB_OK && r && pdb_reply_str(r) && strcmp(pdb_reply_str(r), "tls-again") == 0)
        tls_ok++;
}

static void tls_attempt(pdb_async *ac, int status, void *priv) {
    (void)priv;
    if (status != PDB_OK) {
        tls_connect_fail++;
        snprintf(tls_last_err, sizeof tls_last_err, "%s", pdb_async_errstr(ac));
    }
}

TEST(tls_async_reconnect, ON_BOTH) {
    int port;
    server *s = tls_server("optional", &port);
    CHECK(s && s->pid > 0);
    pdb_options o = tls_options(port, cert("ca.crt"));
    o.reconnect_base_ms = 10;
    o.reconnect_max_ms = 50;
    o.breaker_threshold = 0;
    pdb_async *ac = pdb_async_connect(&o);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    link_loop l;
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 0), PDB_OK);
    tls_done = tls_ok = 0;
    /* The old session meets the new server: the PING fails, then the TLS
     * handshake and HELLO of the reconnect run in loop turns and the held
     * commands go over the new session. */
    CHECK_INT(server_restart(s), 0);
    pdb_async_command(ac, tls_reply, NULL, "PING");
    ll_run_until(&l, &tls_done, 1, 5000);
    CHECK_INT(tls_done, 1);
    CHECK_INT(tls_ok, 0);
    pdb_async_command(ac, NULL, NULL, "SET t %s", "tls-again");
    pdb_async_command(ac, tls_reply, NULL, "GET t");
    ll_run_until(&l, &tls_done, 2, 5000);
    CHECK_INT(tls_ok, 1);
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.connects, 1);
    pdb_async_free(ac);

    /* A CA that did not sign the server's certificate: each attempt fails
     * verification, reported through the connect callback. */
    o.tls_ca_file = cert("foreign.crt");
    ac = pdb_async_connect(&o);
    CHECK_INT(pdb_async_err(ac), PDB_ERR_IO);
    tls_connect_fail = 0;
    pdb_async_set_connect_callback(ac, tls_attempt, NULL);
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 0), PDB_OK);
    long long t0 = now_ms();
    while (tls_connect_fail < 2 && now_ms() - t0 < 5000)
        ll_turn(&l);
    CHECK(tls_connect_fail >= 2);
    CHECK(strstr(tls_last_err, "certificate verify failed") != NULL);
    CHECK_INT(pdb_async_is_connected(ac), 0);
    pdb_async_free(ac);
    server_free(s);
}
