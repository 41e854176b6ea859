/*
 * pdb_async_link.c - the asynchronous connection's life: losing it,
 * reconnecting with backoff and the circuit breaker, and the handshake run
 * without blocking, its replies handled as they arrive.
 *
 * States (async_int.h): AS_UP until a failure; then AS_CLOSED when
 * reconnecting is off, else AS_WAITING until the adapter's timer says the
 * next attempt is due, AS_CONNECTING while the socket connects, AS_TLS for
 * the TLS handshake, AS_HELLO for the HELLO round trip (its answer decides
 * RESP3 or RESP2), AS_SETUP while the replies to AUTH / CLIENT SETNAME /
 * SELECT and the subscriptions are owed, and AS_UP again. A failure in any
 * attempt state closes the socket and waits for the next attempt.
 *
 * Every callback is called exactly once: in-flight ones fail when the
 * connection is lost; held ones are sent after the handshake, or fail for
 * their own deadline, the breaker opening, pdb_async_disconnect or free.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/async_int.h"
#include "ds/mem.h"

#define AS_ATTEMPT_CAP 30 /* backoff exponent stops growing here */

int as_connecting(const pdb_async *ac) {
    return ac->state == AS_CONNECTING || ac->state == AS_TLS;
}

static int attempt_state(int state) {
    return state == AS_CONNECTING || state == AS_TLS || state == AS_HELLO || state == AS_SETUP;
}

/* ---- the timer: one request for the earliest thing due ---- */

static uint64_t earliest(uint64_t a, uint64_t b) {
    return !a ? b : !b ? a : a < b ? a : b;
}

void as_arm_timer(pdb_async *ac) {
    if (!ac->attached || !ac->ad.schedule_timer) return;
    uint64_t due = 0;
    int ms = ac->c->command_timeout_ms;
    if (ms > 0 && ac->len) due = ac->cbs[ac->head].sent_us + (uint64_t)ms * 1000;
    if (ac->state == AS_WAITING) due = earliest(due, ac->retry_at_us ? ac->retry_at_us : 1);
    if (attempt_state(ac->state)) due = earliest(due, ac->connect_due_us);
    if (!due) return;
    uint64_t now = cl_now_us();
    int left = due > now ? (int)((due - now + 999) / 1000) : 0;
    ac->ad.schedule_timer(ac->ad.data, left);
}

/* ---- closing and failing ---- */

/* Stops watching the socket, then closes it (the loop must not watch a
 * closed descriptor). */
static void close_socket(pdb_async *ac) {
    as_want_read(ac, 0);
    as_want_write(ac, 0);
    pdb_disconnect(ac->c);
}

void as_fail_held(pdb_async *ac, int kind, const char *msg) {
    size_t n = ac->len;
    ac->held.len = 0;
    ac->held_off = 0;
    as_fail_first(ac, n, kind, msg);
}

/* The oldest held command is dropped from the held bytes too. */
static void fail_held_head(pdb_async *ac, int kind, const char *msg) {
    async_cb cb = as_cb_pop(ac);
    ac->held_off += cb.bytes;
    if (ac->held_off >= ac->held.len) ac->held.len = ac->held_off = 0;
    as_cb_fail(ac, &cb, kind, msg);
}

static void schedule_attempt(pdb_async *ac, int delay_ms) {
    ac->state = AS_WAITING;
    ac->retry_at_us = cl_now_us() + (uint64_t)(delay_ms > 0 ? delay_ms : 0) * 1000;
    as_arm_timer(ac);
}

/* Milliseconds until an open breaker lets the trial attempt through. */
static int cooldown_left_ms(const pdb_conn *c) {
    uint64_t now = cl_now_us();
    return c->open_until_us > now ? (int)((c->open_until_us - now + 999) / 1000) : 0;
}

/* An attempt failed: count it, maybe open the breaker, wait and retry. */
static void attempt_failed(pdb_async *ac, int kind, const char *msg) {
    pdb_conn *c = ac->c;
    as_error(ac, kind, msg);
    close_socket(ac);
    c->st.connect_failures++;
    ac->st.connect_failures++;
    cl_breaker_result(c, kind == PDB_ERR_SERVER ? PDB_ERR_IO : kind);
    int delay = cl_backoff_ms(c, ac->attempt);
    if (ac->attempt < AS_ATTEMPT_CAP) ac->attempt++;
    if (pdb_breaker_state_now(c) == PDB_BREAKER_OPEN) {
        int cool = cooldown_left_ms(c);
        if (cool > delay) delay = cool;
        as_fail_held(ac, PDB_ERR_CIRCUIT_OPEN, "circuit breaker open");
    }
    if (ac->state == AS_CLOSED) return; /* a callback disconnected */
    schedule_attempt(ac, delay);
    if (ac->on_connect) ac->on_connect(ac, kind, ac->connect_priv);
}

void as_lost(pdb_async *ac, int kind, const char *msg) {
    if (ac->state != AS_UP) {
        if (attempt_state(ac->state)) attempt_failed(ac, kind, msg);
        return;
    }
    pdb_conn *c = ac->c;
    as_error(ac, kind, msg);
    char saved[CL_ERRSTR_MAX];
    snprintf(saved, sizeof saved, "%s", msg); /* msg may live in c */
    close_socket(ac);
    size_t in_flight = ac->len;
    if (ac->reconnect) {
        cl_breaker_result(c, kind);
        ac->attempt = 0;
        ac->state = AS_WAITING;
        /* At once, unless this loss opened the breaker: then after it. */
        int wait = pdb_breaker_state_now(c) == PDB_BREAKER_OPEN ? cooldown_left_ms(c) : 0;
        ac->retry_at_us = cl_now_us() + (uint64_t)wait * 1000;
    } else {
        ac->state = AS_CLOSED;
    }
    as_fail_first(ac, in_flight, kind, saved);
    if (ac->on_disconnect) ac->on_disconnect(ac, kind, ac->disconnect_priv);
    as_arm_timer(ac);
}

/* ---- the handshake ---- */

static void send_words(pdb_async *ac, int argc, const char **argv) {
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    resp_write_command(&ac->c->obuf, argc, argv, lens);
}

static void link_up(pdb_async *ac) {
    pdb_conn *c = ac->c;
    ac->state = AS_UP;
    ac->attempt = 0;
    ac->connect_due_us = 0;
    c->st.connects++;
    if (c->ever_connected) c->st.reconnects++;
    c->ever_connected = 1;
    ac->st.connects++;
    cl_breaker_result(c, PDB_OK);
    cl_clear_error(c);
    ac->err = PDB_OK;
    ac->errstr[0] = '\0';
    /* The held commands follow the handshake, in the order issued. */
    if (ac->held.len > ac->held_off)
        resp_buf_append(&c->obuf, ac->held.data + ac->held_off, ac->held.len - ac->held_off);
    ac->held.len = ac->held_off = 0;
    as_want_read(ac, 1);
    if (c->obuf.len > c->opos) as_want_write(ac, 1);
    as_arm_timer(ac);
    if (ac->on_connect) ac->on_connect(ac, PDB_OK, ac->connect_priv);
}

/* After HELLO (or without it): what RESP2 needs, the db, the
 * subscriptions; up at once when nothing is owed. */
static void send_setup(pdb_async *ac) {
    pdb_conn *c = ac->c;
    int owed = 0;
    if (c->proto == 2 && c->password) {
        const char *argv[3] = {"AUTH", c->user ? c->user : c->password, c->password};
        send_words(ac, c->user ? 3 : 2, argv);
        owed++;
    }
    if (c->proto == 2 && c->client_name) {
        const char *argv[3] = {"CLIENT", "SETNAME", c->client_name};
        send_words(ac, 3, argv);
        owed++;
    }
    if (c->opt.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", c->opt.db);
        const char *argv[2] = {"SELECT", db};
        send_words(ac, 2, argv);
        owed++;
    }
    owed += as_sub_resubscribe(ac);
    ac->hs_owed = owed;
    ac->state = AS_SETUP;
    if (owed == 0) {
        link_up(ac);
        return;
    }
    as_want_write(ac, 1);
}

static void begin_handshake(pdb_conn *c, pdb_async *ac) {
    as_want_read(ac, 1);
    if (c->opt.protocol != 3) {
        c->proto = 2;
        send_setup(ac);
        return;
    }
    const char *argv[CL_HELLO_ARGV_MAX];
    int argc = cl_hello_argv(c, argv);
    send_words(ac, argc, argv);
    ac->state = AS_HELLO;
    as_want_write(ac, 1);
}

static void refused(pdb_async *ac, const char *cmd) {
    char msg[CL_ERRSTR_MAX];
    snprintf(msg, sizeof msg, "%s refused: %.400s", cmd, ac->c->shim.root_err);
    attempt_failed(ac, PDB_ERR_SERVER, msg);
}

void as_handshake_reply(pdb_async *ac, void *obj) {
    pdb_conn *c = ac->c;
    int type = c->shim.root_type;
    /* Messages may overtake the confirmations of later subscriptions. */
    if (as_sub_is_message(ac)) {
        as_sub_route(ac, obj);
        return;
    }
    int confirms = ac->state == AS_SETUP && as_sub_is_confirmation(ac);
    if (type == PDB_REPLY_PUSH && !confirms) {
        cl_deliver_push(c, obj);
        return;
    }
    pdb_reply_free(obj);
    if (ac->state == AS_HELLO) {
        const char *msg = c->shim.root_err;
        if (type != PDB_REPLY_ERROR) {
            c->proto = 3;
        } else if (strncmp(msg, "NOPROTO", 7) == 0 ||
                   strncasecmp(msg, "ERR unknown command", 19) == 0) {
            c->proto = 2;
        } else {
            refused(ac, "HELLO");
            return;
        }
        send_setup(ac);
        return;
    }
    if (type == PDB_REPLY_ERROR) {
        refused(ac, "handshake");
        return;
    }
    if (--ac->hs_owed <= 0) link_up(ac);
}

/* ---- connecting ---- */

static void tls_continue(pdb_async *ac) {
    int want_write = 0;
    int rc = cl_tls_step(ac->c, &want_write);
    if (rc < 0) {
        attempt_failed(ac, rc, pdb_errstr(ac->c));
        return;
    }
    as_want_write(ac, rc == 1 && want_write);
    as_want_read(ac, rc == 1 && !want_write);
    if (rc == PDB_OK) begin_handshake(ac->c, ac);
}

static void socket_connected(pdb_async *ac) {
    pdb_conn *c = ac->c;
    as_want_write(ac, 0);
    if (!c->opt.tls || c->unix_path) {
        begin_handshake(c, ac);
        return;
    }
    int rc = cl_tls_begin(c);
    if (rc != PDB_OK) {
        attempt_failed(ac, rc, pdb_errstr(c));
        return;
    }
    ac->state = AS_TLS;
    tls_continue(ac);
}

static void start_attempt(pdb_async *ac) {
    pdb_conn *c = ac->c;
    int ms = c->opt.connect_timeout_ms;
    ac->state = AS_CONNECTING;
    ac->connect_due_us = ms > 0 ? cl_now_us() + (uint64_t)ms * 1000 : 0;
    pdb_disconnect(c); /* a fresh reader and output buffer */
    int rc = cl_net_connect_start(c, ac->attempt);
    if (rc < 0) {
        attempt_failed(ac, rc, pdb_errstr(c));
        return;
    }
    if (ac->ad.set_fd) ac->ad.set_fd(ac->ad.data, c->fd);
    as_arm_timer(ac);
    if (rc == 1)
        as_want_write(ac, 1);
    else
        socket_connected(ac);
}

void as_link_write(pdb_async *ac) {
    if (ac->state == AS_TLS) {
        tls_continue(ac);
        return;
    }
    int rc = cl_net_connect_finish(ac->c);
    if (rc != PDB_OK)
        attempt_failed(ac, rc, pdb_errstr(ac->c));
    else
        socket_connected(ac);
}

void as_link_read(pdb_async *ac) {
    if (ac->state == AS_TLS) tls_continue(ac);
    /* AS_CONNECTING: the write event reports the outcome. */
}

void as_link_timeout(pdb_async *ac) {
    uint64_t now = cl_now_us();
    int ms = ac->c->command_timeout_ms;
    if (ac->state == AS_UP) {
        if (ms > 0 && ac->len && now >= ac->cbs[ac->head].sent_us + (uint64_t)ms * 1000) {
            as_lost(ac, PDB_ERR_TIMEOUT, "timed out waiting for the reply");
            return;
        }
    } else if (ac->state != AS_CLOSED) {
        /* Held commands past their deadline fail alone: nothing was sent. */
        while (ms > 0 && ac->len && ac->state != AS_UP &&
               now >= ac->cbs[ac->head].sent_us + (uint64_t)ms * 1000)
            fail_held_head(ac, PDB_ERR_TIMEOUT, "timed out while reconnecting");
        if (ac->state == AS_WAITING && now >= ac->retry_at_us)
            start_attempt(ac);
        else if (attempt_state(ac->state) && ac->connect_due_us && now >= ac->connect_due_us)
            attempt_failed(ac, PDB_ERR_TIMEOUT, "connect and handshake timed out");
    }
    as_arm_timer(ac);
}

/* ---- the public calls ---- */

int pdb_async_set_reconnect(pdb_async *ac, int on, size_t max_held) {
    if (on && ac->attached && (!ac->ad.schedule_timer || !ac->ad.set_fd)) {
        as_error(ac, PDB_ERR_ARG, "reconnecting needs an adapter with schedule_timer and set_fd");
        return PDB_ERR_ARG;
    }
    if (on && ac->c->fatal) {
        as_error(ac, pdb_err(ac->c), pdb_errstr(ac->c));
        return PDB_ERR_ARG;
    }
    ac->reconnect = on != 0;
    ac->held_max = max_held ? max_held : AS_HELD_DEFAULT;
    if (on && ac->state == AS_CLOSED && ac->c->fd < 0) {
        ac->attempt = 0;
        schedule_attempt(ac, 0);
    } else if (!on && ac->state != AS_UP && ac->state != AS_CLOSED) {
        close_socket(ac);
        ac->state = AS_CLOSED;
        as_fail_held(ac, PDB_ERR_CLOSED, "reconnecting turned off");
    }
    return PDB_OK;
}

void pdb_async_set_connect_callback(pdb_async *ac, pdb_async_event_fn *fn, void *privdata) {
    ac->on_connect = fn;
    ac->connect_priv = privdata;
}

void pdb_async_set_disconnect_callback(pdb_async *ac, pdb_async_event_fn *fn, void *privdata) {
    ac->on_disconnect = fn;
    ac->disconnect_priv = privdata;
}

void pdb_async_disconnect(pdb_async *ac) {
    int was_up = ac->state == AS_UP;
    as_error(ac, PDB_ERR_CLOSED, "disconnected");
    close_socket(ac);
    ac->state = AS_CLOSED;
    ac->held.len = ac->held_off = 0;
    as_fail_first(ac, ac->len, PDB_ERR_CLOSED, "disconnected");
    /* Callbacks queued from those callbacks are refused (closed). */
    if (was_up && ac->on_disconnect) ac->on_disconnect(ac, PDB_OK, ac->disconnect_priv);
}
