/*
 * pdb_conn.c - connections: lifecycle, the connect handshake, commands,
 * pipelining and the routing of replies and push messages.
 *
 * Invariants:
 *   - fd >= 0 exactly while a handshake has completed and no failure has
 *     been seen since; any I/O, timeout or protocol failure closes the socket
 *     and drops every pending command (their replies can no longer be
 *     matched), so the next command starts on a fresh connection.
 *   - pend holds one entry per command written or buffered whose reply has
 *     not been taken, oldest first; replies are matched to it in order.
 *   - A command is never re-sent after a failure: only the connect is
 *     retried, before anything of the command has been written.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client/client_int.h"
#include "ds/mem.h"

/* Aggregates nest deeper in some replies (COMMAND DOCS, XINFO ... FULL) than
 * the reader's default allows. */
#define CLIENT_MAX_DEPTH 32

uint64_t cl_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cl_set_error(pdb_conn *c, int kind, const char *fmt, ...) {
    va_list ap;
    c->err = kind;
    va_start(ap, fmt);
    vsnprintf(c->errstr, sizeof(c->errstr), fmt, ap);
    va_end(ap);
    c->errcmd[0] = '\0';
}

void cl_clear_error(pdb_conn *c) {
    c->err = PDB_OK;
    c->errstr[0] = '\0';
    c->errcmd[0] = '\0';
}

int pdb_err(const pdb_conn *c) {
    return c->err;
}

const char *pdb_errstr(const pdb_conn *c) {
    return c->errstr;
}

const char *pdb_err_command(const pdb_conn *c) {
    return c->errcmd;
}

const char *pdb_error_name(int err) {
    switch (err) {
    case PDB_OK:
        return "ok";
    case PDB_ERR_IO:
        return "I/O error";
    case PDB_ERR_TIMEOUT:
        return "timeout";
    case PDB_ERR_PROTOCOL:
        return "protocol error";
    case PDB_ERR_SERVER:
        return "server error";
    case PDB_ERR_CLOSED:
        return "connection closed";
    case PDB_ERR_CIRCUIT_OPEN:
        return "circuit open";
    case PDB_ERR_ARG:
        return "invalid argument";
    case PDB_ERR_UNSUPPORTED:
        return "not supported";
    case PDB_ERR_EXECABORT:
        return "transaction aborted";
    case PDB_ERR_WATCH:
        return "watched key changed";
    case PDB_ERR_QUEUE_FULL:
        return "request queue full";
    case PDB_ERR_CROSSSLOT:
        return "keys in different slots";
    case PDB_ERR_CLUSTER:
        return "cluster error";
    default:
        return "unknown error";
    }
}

int pdb_protocol(const pdb_conn *c) {
    return c->fd >= 0 ? c->proto : 0;
}

int pdb_fd(const pdb_conn *c) {
    return c->fd;
}

int pdb_is_connected(const pdb_conn *c) {
    return c->fd >= 0;
}

void pdb_set_timeout(pdb_conn *c, int ms) {
    c->command_timeout_ms = ms > 0 ? ms : 0;
}

size_t pdb_pending(const pdb_conn *c) {
    return c->pend_len + c->failed_pending;
}

static uint64_t deadline_after(int ms) {
    return ms > 0 ? cl_now_us() + (uint64_t)ms * 1000 : 0;
}

/* ---- the reader and the queues ---- */

static void free_obj(pdb_conn *c, void *obj) {
    if (obj && c->shim.user.free_object) c->shim.user.free_object(obj);
}

static void new_reader(pdb_conn *c) {
    resp_reader_free(c->reader);
    c->reader = cl_shim_reader(&c->shim);
    resp_reader_set_max_depth(c->reader, CLIENT_MAX_DEPTH);
}

/* ---- pub/sub words ---- */

static int is_sub_word(const char *w) {
    static const char *const words[] = {"subscribe",   "psubscribe",   "ssubscribe",
                                        "unsubscribe", "punsubscribe", "sunsubscribe"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(w, words[i]) == 0) return 1;
    return 0;
}

static int is_message_word(const char *w) {
    return strcmp(w, "message") == 0 || strcmp(w, "pmessage") == 0 || strcmp(w, "smessage") == 0;
}

/* Replies a (un)subscribe command gets beyond the first: one per channel;
 * -1 when an unsubscribe names none (one per subscription held). */
static int extra_replies_for(const char *name, int argc) {
    if (!is_sub_word(name)) return 0;
    if (argc > 1) return argc - 2;
    return strstr(name, "UNSUB") ? -1 : 0;
}

static void pend_push(pdb_conn *c, const char *name, size_t len, int argc) {
    if (c->pend_len == c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap * 2 : 16;
        cl_pending *n = mem_alloc(cap * sizeof(*n));
        for (size_t i = 0; i < c->pend_len; i++)
            n[i] = c->pend[(c->pend_head + i) % c->pend_cap];
        mem_free(c->pend);
        c->pend = n;
        c->pend_cap = cap;
        c->pend_head = 0;
    }
    cl_pending *p = &c->pend[(c->pend_head + c->pend_len) % c->pend_cap];
    if (len > CL_NAME_MAX - 1) len = CL_NAME_MAX - 1;
    for (size_t i = 0; i < len; i++) {
        /* Names are for messages: keep them printable. */
        unsigned char ch = (unsigned char)name[i];
        p->name[i] = (char)(ch >= 0x20 && ch < 0x7f ? toupper(ch) : '?');
    }
    p->name[len] = '\0';
    p->sent_us = cl_now_us();
    p->extra_replies = extra_replies_for(p->name, argc);
    c->pend_len++;
    cl_hook_start(c, p->name);
}

static cl_pending pend_pop(pdb_conn *c) {
    cl_pending p = c->pend[c->pend_head];
    c->pend_head = (c->pend_head + 1) % c->pend_cap;
    c->pend_len--;
    return p;
}

static void push_enqueue(pdb_conn *c, void *obj) {
    if (c->push_len == CL_PUSH_QUEUE_MAX) {
        free_obj(c, c->pushq[c->push_head]);
        c->push_head = (c->push_head + 1) % c->push_cap;
        c->push_len--;
        c->st.pushes_dropped++;
    }
    if (c->push_len == c->push_cap) {
        size_t cap = c->push_cap ? c->push_cap * 2 : 8;
        void **n = mem_alloc(cap * sizeof(*n));
        for (size_t i = 0; i < c->push_len; i++)
            n[i] = c->pushq[(c->push_head + i) % c->push_cap];
        mem_free(c->pushq);
        c->pushq = n;
        c->push_cap = cap;
        c->push_head = 0;
    }
    c->pushq[(c->push_head + c->push_len) % c->push_cap] = obj;
    c->push_len++;
}

static void *push_dequeue(pdb_conn *c) {
    void *obj = c->pushq[c->push_head];
    c->push_head = (c->push_head + 1) % c->push_cap;
    c->push_len--;
    return obj;
}

void cl_deliver_push(pdb_conn *c, void *obj) {
    c->st.pushes++;
    if (cl_cache_route(c, obj) || cl_pubsub_route(c, obj)) return;
    if (c->push_fn && !c->custom_builder)
        c->push_fn(c, obj, c->push_priv);
    else
        push_enqueue(c, obj);
}

void pdb_set_push_handler(pdb_conn *c, pdb_push_fn *fn, void *privdata) {
    c->push_fn = fn;
    c->push_priv = privdata;
}

/* Closes the socket and forgets everything tied to it. */
static void drop_session(pdb_conn *c) {
    if (c->fd >= 0) cl_txn_lost(c);
    cl_cache_lost(c);
    cl_net_close(c);
    c->obuf.len = 0;
    c->opos = 0;
    c->pend_len = 0;
    c->pend_head = 0;
    /* Subscriptions die with the socket; a reconnect does not restore them. */
    c->absorb = 0;
    c->resp2_subscribed = 0;
    new_reader(c);
}

/* A failure on a live connection: count it against each pending command and
 * the breaker, then close. The error is already recorded. The pending
 * commands, but for the one whose reply the caller is taking now (taking),
 * are owed a failed reply each. */
static int fail_connection(pdb_conn *c, int rc, int taking) {
    size_t owed = c->pend_len - (taking && c->pend_len ? 1 : 0);
    if (owed) {
        c->failed_pending += owed;
        c->failed_err = rc;
        memcpy(c->failed_msg, c->errstr, sizeof c->failed_msg);
    }
    uint64_t now = cl_now_us();
    for (size_t i = 0; i < c->pend_len; i++) {
        const cl_pending *p = &c->pend[(c->pend_head + i) % c->pend_cap];
        cl_stats_failure(c, p->name);
        cl_hook_end(c, p->name, now > p->sent_us ? now - p->sent_us : 0, rc, c->errstr);
    }
    if (rc == PDB_ERR_TIMEOUT)
        c->st.timeouts++;
    else if (rc == PDB_ERR_PROTOCOL)
        c->st.protocol_errors++;
    else
        c->st.io_errors++;
    int err = c->err;
    char msg[CL_ERRSTR_MAX];
    memcpy(msg, c->errstr, sizeof msg);
    drop_session(c);
    c->err = err;
    memcpy(c->errstr, msg, sizeof msg);
    cl_breaker_result(c, rc);
    return rc;
}

/* ---- handshake ---- */

/* Sends one command and reads its reply with a default-builder reader, so
 * the handshake works whatever builder the connection uses. */
static int hs_call(pdb_conn *c, uint64_t deadline, int argc, const char **argv, pdb_reply **out) {
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    resp_write_command(&c->obuf, argc, argv, lens);
    cl_builder_shim shim;
    cl_shim_init(&shim, NULL, NULL);
    resp_reader *rd = cl_shim_reader(&shim);
    int rc = cl_net_flush(c, rd, deadline);
    while (rc == PDB_OK) {
        void *obj = NULL;
        if (resp_reader_get_reply(rd, &obj) != RESP_OK) {
            cl_set_error(c, PDB_ERR_PROTOCOL, "%s", resp_reader_error(rd));
            rc = PDB_ERR_PROTOCOL;
            break;
        }
        if (obj && shim.root_type == PDB_REPLY_PUSH) {
            pdb_reply_free(obj);
            continue;
        }
        if (obj) {
            *out = obj;
            rc = PDB_OK;
            break;
        }
        rc = cl_net_read(c, rd, deadline);
        if (rc != PDB_OK) break;
    }
    resp_reader_free(rd);
    return rc;
}

/* Runs a handshake command that must not fail; an error reply is recorded as
 * PDB_ERR_SERVER for cmd. */
static int hs_expect_ok(pdb_conn *c, uint64_t deadline, const char *cmd, int argc,
                        const char **argv) {
    pdb_reply *r = NULL;
    int rc = hs_call(c, deadline, argc, argv, &r);
    if (rc != PDB_OK) return rc;
    if (pdb_reply_type(r) == PDB_REPLY_ERROR) {
        cl_set_error(c, PDB_ERR_SERVER, "%s", pdb_reply_str(r));
        snprintf(c->errcmd, sizeof c->errcmd, "%s", cmd);
        rc = PDB_ERR_SERVER;
    }
    pdb_reply_free(r);
    return rc;
}

/* HELLO 3: PDB_OK when the server speaks RESP3 now; 1 when it has no HELLO
 * or refuses protocol 3 (fall back to RESP2); an error otherwise. */
int cl_hello_argv(const pdb_conn *c, const char *argv[CL_HELLO_ARGV_MAX]) {
    int argc = 0;
    argv[argc++] = "HELLO";
    argv[argc++] = "3";
    if (c->password) {
        argv[argc++] = "AUTH";
        argv[argc++] = c->user ? c->user : "default";
        argv[argc++] = c->password;
    }
    if (c->client_name) {
        argv[argc++] = "SETNAME";
        argv[argc++] = c->client_name;
    }
    return argc;
}

static int hs_hello(pdb_conn *c, uint64_t deadline) {
    const char *argv[CL_HELLO_ARGV_MAX];
    int argc = cl_hello_argv(c, argv);
    pdb_reply *r = NULL;
    int rc = hs_call(c, deadline, argc, argv, &r);
    if (rc != PDB_OK) return rc;
    if (pdb_reply_type(r) != PDB_REPLY_ERROR) {
        pdb_reply_free(r);
        return PDB_OK;
    }
    const char *msg = pdb_reply_str(r);
    int fallback =
        strncmp(msg, "NOPROTO", 7) == 0 || strncasecmp(msg, "ERR unknown command", 19) == 0;
    if (!fallback) {
        cl_set_error(c, PDB_ERR_SERVER, "%s", msg);
        snprintf(c->errcmd, sizeof c->errcmd, "HELLO");
        rc = PDB_ERR_SERVER;
    } else {
        rc = 1;
    }
    pdb_reply_free(r);
    return rc;
}

static int hs_resp2(pdb_conn *c, uint64_t deadline) {
    int rc;
    if (c->password) {
        const char *argv[3] = {"AUTH", c->user ? c->user : c->password, c->password};
        rc = hs_expect_ok(c, deadline, "AUTH", c->user ? 3 : 2, argv);
        if (rc != PDB_OK) return rc;
    }
    if (c->client_name) {
        const char *argv[3] = {"CLIENT", "SETNAME", c->client_name};
        rc = hs_expect_ok(c, deadline, "CLIENT", 3, argv);
        if (rc != PDB_OK) return rc;
    }
    return PDB_OK;
}

static int handshake(pdb_conn *c, uint64_t deadline) {
    int rc = 1;
    if (c->opt.protocol == 3) {
        rc = hs_hello(c, deadline);
        if (rc < 0) return rc;
    }
    c->proto = rc == PDB_OK ? 3 : 2;
    if (c->proto == 2 && (rc = hs_resp2(c, deadline)) != PDB_OK) return rc;
    if (c->opt.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", c->opt.db);
        const char *argv[2] = {"SELECT", db};
        rc = hs_expect_ok(c, deadline, "SELECT", 2, argv);
        if (rc != PDB_OK) return rc;
    }
    return PDB_OK;
}

/* One connect attempt: socket, then handshake. */
static int connect_once(pdb_conn *c) {
    uint64_t deadline = deadline_after(c->opt.connect_timeout_ms);
    drop_session(c);
    int rc = cl_net_connect(c, deadline);
    if (rc == PDB_OK) rc = handshake(c, deadline);
    if (rc == PDB_OK) rc = cl_pubsub_resubscribe(c, deadline);
    if (rc != PDB_OK) {
        int err = c->err;
        char msg[CL_ERRSTR_MAX], cmd[CL_NAME_MAX];
        memcpy(msg, c->errstr, sizeof msg);
        memcpy(cmd, c->errcmd, sizeof cmd);
        drop_session(c);
        c->err = err;
        memcpy(c->errstr, msg, sizeof msg);
        memcpy(c->errcmd, cmd, sizeof cmd);
        c->st.connect_failures++;
        return rc;
    }
    c->st.connects++;
    if (c->ever_connected) c->st.reconnects++;
    c->ever_connected = 1;
    cl_clear_error(c);
    return PDB_OK;
}

static void sleep_ms(int ms) {
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Reconnects with backoff: the first attempt at once, then waits with full
 * jitter. A refused handshake (bad password...) is not retried. */
static int reconnect_with_backoff(pdb_conn *c) {
    int attempts = c->opt.reconnect_attempts;
    if (attempts <= 0) {
        cl_set_error(c, PDB_ERR_CLOSED, "not connected (reconnecting is disabled)");
        return PDB_ERR_CLOSED;
    }
    int rc = PDB_ERR_CLOSED;
    for (int k = 0; k < attempts; k++) {
        if (k > 0) sleep_ms(cl_backoff_ms(c, k - 1));
        rc = connect_once(c);
        if (rc == PDB_OK || rc == PDB_ERR_SERVER || rc == PDB_ERR_ARG) break;
    }
    return rc;
}

int pdb_reconnect(pdb_conn *c) {
    if (c->fatal) return c->err;
    return connect_once(c);
}

void pdb_disconnect(pdb_conn *c) {
    drop_session(c);
    c->failed_pending = 0;
    /* A half-open trial dropped unanswered decides nothing. */
    c->trial_pending = 0;
}

/* A socket that read nothing for this long is checked for a peer that hung
 * up before a command goes out on it, so a server restart or an idle
 * timeout costs no command. Nothing closes and reopens that fast, and a
 * poll per command in a busy request loop would cost as much as the
 * command's own system calls; a socket closed under a busier loop fails
 * the command with a closed-connection error, and the next one reconnects. */
#define CL_PEER_CHECK_IDLE_US 1000

/* Before a command is buffered: a fatal configuration error, the breaker,
 * then a live connection (a silently closed idle socket counts as lost). */
static int ensure_connected(pdb_conn *c) {
    if (c->fatal) return c->err;
    int rc = cl_breaker_admit(c);
    if (rc != PDB_OK) return rc;
    if (c->fd >= 0 && c->pend_len == 0 && c->obuf.len == 0 &&
        cl_now_us() - c->last_read_us >= CL_PEER_CHECK_IDLE_US && cl_net_peer_closed(c))
        drop_session(c);
    if (c->fd >= 0) return PDB_OK;
    rc = reconnect_with_backoff(c);
    if (rc != PDB_OK) cl_breaker_result(c, rc == PDB_ERR_SERVER ? PDB_ERR_IO : rc);
    return rc;
}

int cl_ensure_connected(pdb_conn *c) {
    return ensure_connected(c);
}

/* ---- lifecycle ---- */

static char *dup_opt(const char *s) {
    return s ? mem_strdup(s) : NULL;
}

static int options_valid(const pdb_options *o, char *why, size_t n) {
    if (o->protocol != 2 && o->protocol != 3)
        snprintf(why, n, "protocol must be 2 or 3");
    else if (!o->unix_path && (o->port < 1 || o->port > 65535))
        snprintf(why, n, "port must be 1..65535");
    else if (o->db < 0)
        snprintf(why, n, "db must not be negative");
    else if (o->connect_timeout_ms < 0 || o->command_timeout_ms < 0 || o->keepalive_s < 0 ||
             o->max_pending < 0 || o->reconnect_attempts < 0 || o->reconnect_base_ms < 0 ||
             o->reconnect_max_ms < 0 || o->breaker_threshold < 0 || o->breaker_cooldown_ms < 0)
        snprintf(why, n, "timeouts and counts must not be negative");
    else if ((o->user && strpbrk(o->user, "\r\n")) ||
             (o->client_name && strpbrk(o->client_name, " \r\n")))
        snprintf(why, n, "user or client name holds spaces or line breaks");
    else if (o->tls && o->unix_path)
        snprintf(why, n, "TLS runs over TCP, not a unix socket");
    else if (!o->tls_cert_file != !o->tls_key_file)
        snprintf(why, n, "tls_cert_file and tls_key_file go together");
    else
        return 1;
    return 0;
}

static pdb_conn *conn_new(const pdb_options *o) {
    pdb_conn *c = mem_calloc(sizeof(*c));
    c->opt = *o;
    c->host = mem_strdup(o->host ? o->host : "127.0.0.1");
    c->unix_path = dup_opt(o->unix_path);
    c->user = dup_opt(o->user);
    c->password = dup_opt(o->password);
    c->client_name = dup_opt(o->client_name);
    c->opt.tls_ca_file = c->tls_ca_file = dup_opt(o->tls_ca_file);
    c->opt.tls_ca_dir = c->tls_ca_dir = dup_opt(o->tls_ca_dir);
    c->opt.tls_cert_file = c->tls_cert_file = dup_opt(o->tls_cert_file);
    c->opt.tls_key_file = c->tls_key_file = dup_opt(o->tls_key_file);
    c->opt.tls_server_name = c->tls_server_name = dup_opt(o->tls_server_name);
    c->opt.host = c->host;
    c->opt.unix_path = c->unix_path;
    c->opt.user = c->user;
    c->opt.password = c->password;
    c->opt.client_name = c->client_name;
    c->command_timeout_ms = o->command_timeout_ms;
    c->fd = -1;
    c->rng = cl_now_us() ^ ((uint64_t)(uintptr_t)c << 16) ^ ((uint64_t)getpid() << 40);
    if (c->rng == 0) c->rng = 1;
    cl_shim_init(&c->shim, NULL, NULL);
    new_reader(c);
    return c;
}

pdb_conn *pdb_connect(const pdb_options *o) {
    if (!o) return NULL;
    pdb_conn *c = conn_new(o);
    char why[128];
    if (!options_valid(o, why, sizeof why)) {
        c->fatal = 1;
        cl_set_error(c, PDB_ERR_ARG, "%s", why);
        return c;
    }
    connect_once(c);
    return c;
}

pdb_conn *pdb_connect_url(const char *url, const pdb_options *base) {
    pdb_options o;
    char buf[PDB_URL_MAX + 1], err[128];
    if (base)
        o = *base;
    else
        pdb_options_init(&o);
    int rc = pdb_url_parse(url, &o, buf, sizeof buf, err, sizeof err);
    if (rc != PDB_OK) {
        pdb_conn *c = conn_new(&o);
        c->fatal = 1;
        cl_set_error(c, rc, "%s", err);
        return c;
    }
    return pdb_connect(&o);
}

void pdb_free(pdb_conn *c) {
    if (!c) return;
    cl_net_close(c);
    resp_reader_free(c->reader);
    resp_buf_free(&c->obuf);
    while (c->push_len)
        free_obj(c, push_dequeue(c));
    mem_free(c->pushq);
    mem_free(c->pend);
    pdb_cache_disable(c);
    cl_pubsub_free(c);
    mem_free(c->host);
    mem_free(c->unix_path);
    mem_free(c->user);
    mem_free(c->password);
    mem_free(c->client_name);
    mem_free(c->tls_ca_file);
    mem_free(c->tls_ca_dir);
    mem_free(c->tls_cert_file);
    mem_free(c->tls_key_file);
    mem_free(c->tls_server_name);
    mem_free(c);
}

int pdb_set_builder(pdb_conn *c, const pdb_builder *b, void *privdata) {
    if (c->pend_len || c->push_len) {
        cl_set_error(c, PDB_ERR_ARG, "replies are pending");
        return PDB_ERR_ARG;
    }
    if (b && !cl_builder_valid(b)) {
        cl_set_error(c, PDB_ERR_ARG, "builder lacks a create function");
        return PDB_ERR_ARG;
    }
    cl_shim_init(&c->shim, b, privdata);
    c->custom_builder = b != NULL;
    new_reader(c);
    return PDB_OK;
}

/* ---- sending ---- */

/* The bounded request queue: a synchronous pipeline cannot wait for room
 * (only its caller takes replies), so a full queue refuses the command. */
static int queue_room(pdb_conn *c) {
    if (c->opt.max_pending <= 0 || pdb_pending(c) < (size_t)c->opt.max_pending) return PDB_OK;
    c->st.queue_rejections++;
    cl_set_error(c, PDB_ERR_QUEUE_FULL, "request queue full (%d pending)", c->opt.max_pending);
    return PDB_ERR_QUEUE_FULL;
}

int pdb_append_command_argv(pdb_conn *c, int argc, const char *const *argv, const size_t *argvlen) {
    if (argc <= 0 || !argv || !argvlen) {
        cl_set_error(c, PDB_ERR_ARG, "empty command");
        return PDB_ERR_ARG;
    }
    /* After connecting: a dead idle socket noticed there ends a transaction. */
    int rc = queue_room(c);
    if (rc == PDB_OK) rc = ensure_connected(c);
    if (rc == PDB_OK) rc = cl_txn_gate(c, argv[0], argvlen[0]);
    if (rc != PDB_OK) return rc;
    resp_write_command(&c->obuf, argc, argv, argvlen);
    pend_push(c, argv[0], argvlen[0], argc);
    cl_txn_track(c, argv[0], argvlen[0]);
    c->st.commands++;
    cl_clear_error(c);
    return PDB_OK;
}

int pdb_append_vcommand(pdb_conn *c, const char *fmt, va_list ap) {
    cl_args a;
    char err[96];
    if (!fmt || cl_format(&a, fmt, ap, err, sizeof err) != PDB_OK) {
        cl_set_error(c, PDB_ERR_ARG, "%s", fmt ? err : "no format");
        return PDB_ERR_ARG;
    }
    int rc = queue_room(c);
    if (rc == PDB_OK) rc = ensure_connected(c);
    if (rc == PDB_OK) rc = cl_txn_gate(c, a.bytes.data, a.off[1]);
    if (rc == PDB_OK) {
        cl_encode_args(&c->obuf, &a);
        pend_push(c, a.bytes.data, a.off[1], a.argc);
        cl_txn_track(c, a.bytes.data, a.off[1]);
        c->st.commands++;
        cl_clear_error(c);
    }
    cl_args_free(&a);
    return rc;
}

int pdb_append_command(pdb_conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = pdb_append_vcommand(c, fmt, ap);
    va_end(ap);
    return rc;
}

int pdb_flush(pdb_conn *c) {
    if (c->fd < 0) {
        if (c->obuf.len == 0) return PDB_OK;
        cl_set_error(c, PDB_ERR_CLOSED, "not connected");
        return PDB_ERR_CLOSED;
    }
    int rc = cl_net_flush(c, c->reader, deadline_after(c->command_timeout_ms));
    return rc == PDB_OK ? PDB_OK : fail_connection(c, rc, 0);
}

/* ---- receiving ---- */

/* Is the value just parsed out-of-band (a push, a RESP2 pub/sub message, a
 * further confirmation of a multi-channel (un)subscribe) rather than the reply
 * to the oldest pending command? In RESP3 a (un)subscribe is answered by a
 * push named like the command, so such a push can be a reply. */
static int out_of_band(pdb_conn *c) {
    const cl_builder_shim *s = &c->shim;
    int push = s->root_type == PDB_REPLY_PUSH;
    int resp2_msg = c->proto == 2 && s->root_type == PDB_REPLY_ARRAY && c->resp2_subscribed;
    if (!push && !resp2_msg) return 0;
    const char *head = s->root_head;
    if (is_sub_word(head)) {
        if (c->absorb != 0 && strcasecmp(head, c->absorb_word) == 0) {
            if (c->absorb > 0) c->absorb--;
            /* All unsubscribed: no more confirmations can follow. */
            if (c->absorb < 0 && s->root_count == 0) c->absorb = 0;
            return 1;
        }
        return !(c->pend_len && strcasecmp(head, c->pend[c->pend_head].name) == 0);
    }
    return push || is_message_word(head);
}

/* A RESP2 connection is in subscribed mode while a confirmation says it
 * holds subscriptions; only then are arrays checked for messages. */
static void track_subscribed(pdb_conn *c) {
    const cl_builder_shim *s = &c->shim;
    if ((s->root_type == PDB_REPLY_ARRAY || s->root_type == PDB_REPLY_PUSH) &&
        is_sub_word(s->root_head) && s->root_count >= 0)
        c->resp2_subscribed = s->root_count > 0;
}

/* A reply for the oldest pending command: statistics, breaker, error. */
static int finish_reply(pdb_conn *c, void *obj, void **out) {
    cl_pending p = pend_pop(c);
    int rc = c->shim.root_type == PDB_REPLY_ERROR ? PDB_ERR_SERVER : PDB_OK;
    if (rc == PDB_OK && p.extra_replies != 0 && !(p.extra_replies < 0 && c->shim.root_count == 0)) {
        c->absorb = p.extra_replies;
        snprintf(c->absorb_word, sizeof c->absorb_word, "%s", c->shim.root_head);
    }
    uint64_t now = cl_now_us(), took = now > p.sent_us ? now - p.sent_us : 0;
    cl_stats_reply(c, p.name, took, rc);
    cl_hook_end(c, p.name, took, rc, rc == PDB_ERR_SERVER ? c->shim.root_err : NULL);
    c->st.replies++;
    cl_breaker_result(c, rc);
    if (rc == PDB_ERR_SERVER) {
        c->st.server_errors++;
        cl_set_error(c, PDB_ERR_SERVER, "%s", c->shim.root_err);
        memcpy(c->errcmd, p.name, sizeof c->errcmd);
    } else {
        cl_clear_error(c);
    }
    *out = obj;
    return rc;
}

int pdb_get_reply_obj(pdb_conn *c, void **out) {
    *out = NULL;
    if (c->failed_pending) {
        c->failed_pending--;
        c->err = c->failed_err;
        memcpy(c->errstr, c->failed_msg, sizeof c->errstr);
        c->errcmd[0] = '\0';
        return c->failed_err;
    }
    if (c->pend_len == 0 && c->push_len) {
        *out = push_dequeue(c);
        cl_clear_error(c);
        return PDB_OK;
    }
    if (c->fd < 0) {
        cl_set_error(c, PDB_ERR_CLOSED, "not connected");
        return PDB_ERR_CLOSED;
    }
    uint64_t deadline = deadline_after(c->command_timeout_ms);
    int rc = cl_net_flush(c, c->reader, deadline);
    if (rc != PDB_OK) return fail_connection(c, rc, c->pend_len > 0);
    for (;;) {
        void *obj = NULL;
        if (resp_reader_get_reply(c->reader, &obj) != RESP_OK) {
            cl_set_error(c, PDB_ERR_PROTOCOL, "%s", resp_reader_error(c->reader));
            return fail_connection(c, PDB_ERR_PROTOCOL, c->pend_len > 0);
        }
        if (!obj) {
            rc = cl_net_read(c, c->reader, deadline);
            if (rc == PDB_ERR_TIMEOUT && c->pend_len == 0) {
                /* Waiting for a message that did not come: nothing is out
                 * of step, so the connection stays. */
                c->st.timeouts++;
                return rc;
            }
            if (rc != PDB_OK) return fail_connection(c, rc, c->pend_len > 0);
            continue;
        }
        int oob = out_of_band(c);
        track_subscribed(c);
        if (c->pend_len == 0 && c->cache && cl_cache_route(c, obj)) continue;
        if (c->pend_len == 0) {
            /* Unsolicited: a push, or a RESP2 pub/sub message. */
            if (oob || c->shim.root_type == PDB_REPLY_PUSH) c->st.pushes++;
            cl_clear_error(c);
            *out = obj;
            return PDB_OK;
        }
        if (oob) {
            cl_deliver_push(c, obj);
            continue;
        }
        return finish_reply(c, obj, out);
    }
}

int pdb_get_reply(pdb_conn *c, pdb_reply **reply) {
    *reply = NULL;
    if (c->custom_builder) {
        cl_set_error(c, PDB_ERR_ARG, "a custom builder is set: use pdb_get_reply_obj");
        return PDB_ERR_ARG;
    }
    void *obj = NULL;
    int rc = pdb_get_reply_obj(c, &obj);
    *reply = obj;
    return rc;
}

/* The synchronous call: one command, its reply; an error reply becomes NULL
 * with PDB_ERR_SERVER. */
static pdb_reply *await_one(pdb_conn *c) {
    pdb_reply *r = NULL;
    int rc = pdb_get_reply(c, &r);
    if (rc == PDB_ERR_SERVER) {
        pdb_reply_free(r);
        return NULL;
    }
    return rc == PDB_OK ? r : NULL;
}

static int sync_ready(pdb_conn *c) {
    if (c->custom_builder) {
        cl_set_error(c, PDB_ERR_ARG, "a custom builder is set: use pdb_get_reply_obj");
        return 0;
    }
    if (c->pend_len || c->failed_pending) {
        cl_set_error(c, PDB_ERR_ARG, "pipelined replies are pending: take them first");
        return 0;
    }
    return 1;
}

pdb_reply *pdb_vcommand(pdb_conn *c, const char *fmt, va_list ap) {
    if (!sync_ready(c)) return NULL;
    if (pdb_append_vcommand(c, fmt, ap) != PDB_OK) return NULL;
    return await_one(c);
}

pdb_reply *pdb_command(pdb_conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pdb_reply *r = pdb_vcommand(c, fmt, ap);
    va_end(ap);
    return r;
}

pdb_reply *pdb_command_argv(pdb_conn *c, int argc, const char *const *argv, const size_t *argvlen) {
    if (!sync_ready(c)) return NULL;
    if (pdb_append_command_argv(c, argc, argv, argvlen) != PDB_OK) return NULL;
    return await_one(c);
}
