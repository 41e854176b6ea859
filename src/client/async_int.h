/*
 * async_int.h - internals of the asynchronous connection shared by
 * pdb_async.c (commands, reads and writes), pdb_async_link.c (connecting,
 * the handshake as callbacks, reconnecting) and pdb_async_sub.c (pub/sub).
 *
 * The callback ring holds, oldest first, the commands in flight (written or
 * in the output buffer) and then the commands held while the connection is
 * down. Only while the state is AS_UP is anything in flight: every other
 * state holds only held commands, whose encoded bytes wait in `held` (from
 * held_off) until the handshake is done.
 */
#ifndef PAIRDB_ASYNC_INT_H
#define PAIRDB_ASYNC_INT_H

#include "client/client_int.h"

#define AS_HELD_DEFAULT 1000
#define AS_SUB_MAX 100000 /* subscriptions one async connection remembers */

typedef struct async_cb {
    pdb_async_fn *fn;
    void *priv;
    uint64_t sent_us;
    size_t bytes; /* encoded length, while held */
    /* pub/sub commands sent by pdb_async_subscribe: their confirmations are
     * routed to the subscription layer, not to fn */
    int sub_confirms;
    char name[CL_NAME_MAX];
} async_cb;

enum async_state {
    AS_UP,         /* handshake done: commands go straight to the output buffer */
    AS_CLOSED,     /* down for good: reconnecting off, or pdb_async_disconnect */
    AS_WAITING,    /* down: the next connect attempt is due at retry_at_us */
    AS_CONNECTING, /* the socket's connect is in progress */
    AS_TLS,        /* the TLS handshake is in progress */
    AS_HELLO,      /* HELLO sent: its reply decides the protocol */
    AS_SETUP       /* AUTH/SETNAME/SELECT/subscriptions sent: replies owed */
};

struct pdb_async {
    pdb_conn *c;
    pdb_async_adapter ad;
    int attached;
    int reading, writing;
    async_cb *cbs; /* ring of pending callbacks */
    size_t cap, head, len;
    int err;
    char errstr[CL_ERRSTR_MAX];
    pdb_async_stats st;

    /* connection life (pdb_async_link.c) */
    int state;
    int reconnect;
    size_t held_max;
    resp_buf held;
    size_t held_off;
    int attempt;             /* failed attempts since the last success */
    uint64_t retry_at_us;    /* AS_WAITING: when the next attempt starts */
    uint64_t connect_due_us; /* an attempt's deadline, 0: none */
    int hs_owed;             /* AS_SETUP: replies still owed */
    pdb_async_event_fn *on_connect, *on_disconnect;
    void *connect_priv, *disconnect_priv;

    /* pub/sub (pdb_async_sub.c) */
    cl_subs subs;
};

/* pdb_async.c */
void as_error(pdb_async *ac, int kind, const char *msg);
void as_want_read(pdb_async *ac, int on);
void as_want_write(pdb_async *ac, int on);
async_cb as_cb_pop(pdb_async *ac);
/* Runs a popped callback with a failure, with statistics and hooks. */
void as_cb_fail(pdb_async *ac, const async_cb *cb, int kind, const char *msg);
/* Fails up to n callbacks from the oldest. */
void as_fail_first(pdb_async *ac, size_t n, int kind, const char *msg);
/* Queues an encoded command: into the output buffer when up, else held. */
int as_queue_argv(pdb_async *ac, pdb_async_fn *fn, void *priv, int argc, const char *const *argv,
                  const size_t *argvlen, int sub_confirms);

/* pdb_async_link.c */
void as_arm_timer(pdb_async *ac);
/* The connection (live, or an attempt) failed with kind. */
void as_lost(pdb_async *ac, int kind, const char *msg);
/* Write / read readiness while connecting (not AS_UP). */
void as_link_write(pdb_async *ac);
void as_link_read(pdb_async *ac);
/* A value read while AS_HELLO or AS_SETUP (owned; freed here). */
void as_handshake_reply(pdb_async *ac, void *obj);
void as_link_timeout(pdb_async *ac);
/* Fails every held command (not in flight) with kind. */
void as_fail_held(pdb_async *ac, int kind, const char *msg);
int as_connecting(const pdb_async *ac);

/* pdb_async_sub.c */
/* 1 if the value just read is a message (a push, or an array while a
 * RESP2 connection is subscribed). */
int as_sub_is_message(const pdb_async *ac);
/* Hands a message to its subscription's callback (dropped when none);
 * obj is freed. */
void as_sub_route(pdb_async *ac, void *obj);
/* 1 if the value just read confirms a (un)subscribe; notes whether a RESP2
 * connection is still subscribed after it. */
int as_sub_is_confirmation(pdb_async *ac);
/* Writes one subscribe per remembered name into the output buffer (the
 * handshake); returns how many confirmations to expect. */
int as_sub_resubscribe(pdb_async *ac);
void as_sub_free(pdb_async *ac);

#endif
