/*
 * client_int.h - libpairdb's internals shared by the files in src/client.
 *
 * Layout of a connection: options (strings owned), the socket, an output
 * buffer of encoded commands not yet written, a reader fed from the socket,
 * a FIFO of pending commands (name and send time, for error messages and
 * latency), a queue of unclaimed push messages, the reconnect/breaker state
 * and the statistics. Every fallible step records its kind and message in
 * err/errstr through cl_set_error().
 */
#ifndef PAIRDB_CLIENT_INT_H
#define PAIRDB_CLIENT_INT_H

#include <stdint.h>

#include "../../include/pairdb.h"
#include "proto/resp.h"

#define CL_NAME_MAX 32     /* command names kept for errors and stats */
#define CL_STATS_KINDS 128 /* distinct command names counted; more go to OTHER */
#define CL_PUSH_QUEUE_MAX 4096
#define CL_ERRSTR_MAX 512

/* Wraps the caller's (or the default) builder so the connection learns the
 * type of each top-level value and the text of a top-level error without
 * knowing the objects. */
typedef struct cl_builder_shim {
    pdb_builder user;
    void *user_priv;
    int root_type; /* type of the last top-level value created */
    char root_err[CL_ERRSTR_MAX];
    /* Of a top-level PUSH or ARRAY: its first string (cut to 15 bytes) and
     * the integer at index 2, which is how pub/sub replies are recognised. */
    char root_head[16];
    long long root_count;
} cl_builder_shim;

typedef struct cl_pending {
    char name[CL_NAME_MAX];
    uint64_t sent_us;
    /* (P|S)(UN)SUBSCRIBE: confirmations beyond the first that the server
     * sends for this command (one per channel); -1 for an unsubscribe
     * without channels (one per subscription, count unknown). */
    int extra_replies;
} cl_pending;

/* A subscription the caller made, remembered so that a reconnect makes it
 * again: the synchronous connection calls fn.conn, the asynchronous one
 * fn.async. */
typedef struct cl_sub {
    int kind; /* PDB_SUB_CHANNEL, _PATTERN, _SHARD */
    char *name;
    size_t len;
    union {
        pdb_message_fn *conn;
        pdb_async_message_fn *async;
    } fn;
    void *priv;
} cl_sub;

/* The registry of both connection kinds (pdb_pubsub.c). Entries move when
 * one is removed: a pointer into it lasts until the next change. */
typedef struct cl_subs {
    cl_sub *v;
    size_t n, cap;
} cl_subs;
cl_sub *cl_subs_find(cl_subs *r, int kind, const char *name, size_t len);
/* The entry for (kind, name): found, or added with no callback yet. */
cl_sub *cl_subs_put(cl_subs *r, int kind, const char *name, size_t len);
void cl_subs_remove(cl_subs *r, cl_sub *s);
void cl_subs_free(cl_subs *r);

typedef struct cl_cache cl_cache;

typedef struct cl_stat_slot {
    pdb_cmd_stats s;
} cl_stat_slot;

struct pdb_conn {
    /* options, strings owned */
    pdb_options opt;
    char *host, *unix_path, *user, *password, *client_name;
    char *tls_ca_file, *tls_ca_dir, *tls_cert_file, *tls_key_file, *tls_server_name;
    int command_timeout_ms;

    int fd;
    void *ssl; /* the TLS session (SSL *) while connected over TLS, else NULL */
    /* A plain socket of a synchronous connection is left blocking, with
     * SO_RCVTIMEO = rcvtimeo_ms, so the first read of a reply is one recv
     * that sleeps; every other call passes MSG_DONTWAIT. An asynchronous
     * connection (async set) keeps O_NONBLOCK. */
    int blocking, rcvtimeo_ms, async;
    uint64_t last_read_us; /* when bytes last came: an idle socket is checked */
    int proto; /* 2 or 3 once connected */
    int ever_connected;
    int fatal;     /* bad URL: never connects */
    resp_buf obuf; /* encoded commands not yet written */
    size_t opos;   /* bytes of obuf already written */
    resp_reader *reader;
    cl_builder_shim shim;
    int custom_builder;

    cl_pending *pend; /* ring of pending commands */
    size_t pend_cap, pend_head, pend_len;
    /* Commands that were outstanding when the connection failed: each still
     * owes its caller one failed pdb_get_reply (with this kind and text), so
     * no command of a pipeline disappears silently. They come before any
     * command in pend, being older. */
    size_t failed_pending;
    int failed_err;
    char failed_msg[CL_ERRSTR_MAX];

    void **pushq; /* ring of unclaimed push replies (pdb_reply *) */
    size_t push_head, push_len, push_cap;
    pdb_push_fn *push_fn;
    void *push_priv;

    /* pub/sub: confirmations still to route as out-of-band values (after the
     * first, which answers the command), the word they carry, and whether
     * a RESP2 connection is in subscribed mode (messages are arrays then). */
    long long absorb;
    char absorb_word[16];
    int resp2_subscribed;
    pdb_hooks hooks;
    cl_cache *cache; /* client-side cache, NULL unless enabled */
    cl_subs subs;    /* registry, subscribed again after a reconnect */

    /* transactions (pdb_txn.c): MULTI sent, WATCH sent, and lost inside
     * one of them (every command refused until EXEC/DISCARD/UNWATCH) */
    int in_multi, watching, txn_broken;

    /* circuit breaker and reconnect */
    int breaker;       /* pdb_breaker_state */
    int failures;      /* consecutive */
    int trial_pending; /* half-open: the one trial command was let through */
    uint64_t open_until_us;
    uint64_t rng;

    int err;
    char errstr[CL_ERRSTR_MAX];
    char errcmd[CL_NAME_MAX];

    pdb_stats st;
    cl_stat_slot stats[CL_STATS_KINDS];
    size_t nstats;
};

/* pdb_conn.c */
void cl_set_error(pdb_conn *c, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_clear_error(pdb_conn *c);
uint64_t cl_now_us(void);
/* The connect handshake's HELLO 3 [AUTH user pass] [SETNAME name]: fills
 * argv (the strings are c's) and returns the count. */
#define CL_HELLO_ARGV_MAX 8
int cl_hello_argv(const pdb_conn *c, const char *argv[CL_HELLO_ARGV_MAX]);

/* pdb_net.c: sockets. Deadlines are absolute cl_now_us() values, 0 = none. */
int cl_net_connect(pdb_conn *c, uint64_t deadline);
void cl_net_close(pdb_conn *c);
/* Without waiting: starts a connect to the attempt-th address of the host
 * (modulo their number) on a fresh socket in c->fd. PDB_OK connected, 1 in
 * progress (finish when writable), or an error (recorded, no socket). A host
 * name is resolved with getaddrinfo(), which may block. */
int cl_net_connect_start(pdb_conn *c, int attempt);
/* After the socket turned writable: PDB_OK or the connect's error. */
int cl_net_connect_finish(pdb_conn *c);
/* Writes all of obuf from opos, reading ready replies into reader meanwhile. */
int cl_net_flush(pdb_conn *c, resp_reader *reader, uint64_t deadline);
/* Reads what is there (waiting until something is) into reader. */
int cl_net_read(pdb_conn *c, resp_reader *reader, uint64_t deadline);
/* One read without waiting: 1 bytes came, 0 none (EAGAIN), or an error.
 * Called until 0 it also empties what TLS holds decrypted. */
int cl_net_read_nowait(pdb_conn *c, resp_reader *reader);
/* 1 if the peer has closed the idle socket (checked without blocking). */
int cl_net_peer_closed(pdb_conn *c);
/* Marks c as driven by an event loop: its socket stays non-blocking. */
void cl_net_set_async(pdb_conn *c);

/* pdb_tls.c: TLS over the connected socket c->fd. */
/* Client handshake, verification included, waiting until deadline. */
int cl_tls_start(pdb_conn *c, uint64_t deadline);
/* The same in steps for an event loop: begin creates the session (c->ssl);
 * each step returns PDB_OK when done, 1 while it waits for the socket
 * (*want_write: for writing, else reading), or an error (recorded; the
 * session is freed). */
int cl_tls_begin(pdb_conn *c);
int cl_tls_step(pdb_conn *c, int *want_write);
/* Sends close_notify (without waiting) and frees the session. */
void cl_tls_close(pdb_conn *c);
/* recv()/send() alike: bytes, 0 at the end of the session, -1 with errno
 * (EAGAIN: wait for the socket, then call again with the same bytes). */
long cl_tls_recv(pdb_conn *c, void *buf, size_t len);
long cl_tls_send(pdb_conn *c, const void *buf, size_t len);

/* pdb_format.c: a command's arguments from a format string. */
typedef struct cl_args {
    resp_buf bytes; /* all arguments back to back */
    size_t *off;    /* argc + 1 offsets into bytes */
    int argc, cap;
} cl_args;
int cl_format(cl_args *a, const char *fmt, va_list ap, char *err, size_t errlen);
void cl_args_free(cl_args *a);
/* Appends the arguments as one RESP multibulk command. */
void cl_encode_args(resp_buf *out, const cl_args *a);

/* pdb_reply.c */
void cl_shim_init(cl_builder_shim *s, const pdb_builder *user, void *priv);
resp_reader *cl_shim_reader(cl_builder_shim *s);
int cl_builder_valid(const pdb_builder *b);

/* pdb_conn.c: hands an out-of-band value to a subscription callback, the
 * push handler or the queue; connects (with backoff) if not connected. */
void cl_deliver_push(pdb_conn *c, void *obj);
int cl_ensure_connected(pdb_conn *c);

/* pdb_pubsub.c: 1 if obj was a message for a registered callback (then
 * freed); re-subscribes everything on a fresh connection. */
int cl_pubsub_route(pdb_conn *c, void *obj);
int cl_pubsub_resubscribe(pdb_conn *c, uint64_t deadline);
void cl_pubsub_free(pdb_conn *c);

/* pdb_cache.c: 1 if obj was an invalidation push (applied and freed); the
 * connection is gone: the cache can no longer trust its entries. */
int cl_cache_route(pdb_conn *c, void *obj);
void cl_cache_lost(pdb_conn *c);

/* pdb_hooks.c: tracing callbacks (msg: the error text, or NULL). */
void cl_hook_start(pdb_conn *c, const char *name);
void cl_hook_end(pdb_conn *c, const char *name, uint64_t usec, int err, const char *msg);

/* pdb_txn.c: a command named name may be sent (PDB_OK or PDB_ERR_CLOSED
 * after a loss inside a transaction); track it once buffered; the socket is
 * gone. */
int cl_txn_gate(pdb_conn *c, const char *name, size_t len);
void cl_txn_track(pdb_conn *c, const char *name, size_t len);
void cl_txn_lost(pdb_conn *c);

/* pdb_sha1.c: lower-case hex SHA-1. */
void cl_sha1_hex(const void *data, size_t len, char out[41]);

/* pdb_resil.c: breaker, backoff, statistics. */
int cl_breaker_admit(pdb_conn *c);            /* PDB_OK or PDB_ERR_CIRCUIT_OPEN */
void cl_breaker_result(pdb_conn *c, int err); /* after each command */
int cl_backoff_ms(pdb_conn *c, int attempt);
void cl_stats_reply(pdb_conn *c, const char *name, uint64_t usec, int err);
void cl_stats_failure(pdb_conn *c, const char *name);

#endif
