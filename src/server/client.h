/*
 * client.h - a connected client: its input, its output, its state.
 *
 * Lifecycle: net accept -> client_create() (registered in the loop,
 * readable) -> client_on_readable() parses and executes commands ->
 * replies accumulate in the output list -> before sleep, clients with
 * pending output are written with writev; what the socket did not take
 * stays queued and a writable handler finishes it -> client_free() on
 * QUIT, errors, timeouts, kills, output limits or shutdown.
 *
 * A client is never freed while one of its commands runs: code that wants
 * a client gone calls client_close_async(), and the client is freed in the
 * before-sleep hook.
 *
 * Handlers read argc/argv (the current command, valid during the call),
 * db/dbid, resp, and call the reply API; the rest is the server's own.
 */
#ifndef PAIRDB_CLIENT_H
#define PAIRDB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ds/dict.h"
#include "proto/resp.h"

struct command;
struct db;
struct loop;

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0, /* QUIT, protocol error: close once output is sent */
    CLIENT_CLOSE_ASAP = 1 << 1,        /* freed in before-sleep, output dropped */
    CLIENT_MONITOR = 1 << 2,
    CLIENT_UNIX = 1 << 3,
    CLIENT_PUBSUB = 1 << 4,
    CLIENT_BLOCKED = 1 << 5,
    CLIENT_NO_EVICT = 1 << 6,
    CLIENT_NO_TOUCH = 1 << 7,
    CLIENT_REPLY_OFF = 1 << 8,
    CLIENT_REPLY_SKIP = 1 << 9,        /* this command's reply is dropped */
    CLIENT_REPLY_SKIP_NEXT = 1 << 10,  /* the next command's reply is dropped */
    CLIENT_PENDING_WRITE = 1 << 11,    /* on the pending-write list */
    CLIENT_PAUSED = 1 << 12,           /* waiting for CLIENT UNPAUSE */
    CLIENT_IN_CALL = 1 << 13,
    CLIENT_MULTI = 1 << 14,
    CLIENT_PROTECTED = 1 << 15,        /* never freed until unprotected */
    CLIENT_BLOCK_PENDING = 1 << 16,    /* the running command asked to block */
    CLIENT_BLOCK_RESUME = 1 << 17,     /* on blocking.c's resume list */
    CLIENT_HELD = 1 << 18,             /* output waits for the log (held list) */
    CLIENT_SCRIPT = 1 << 19,           /* a script's client: replies are collected, never sent */
};

/* Output-buffer limit classes. */
enum { OBUF_NORMAL = 0, OBUF_REPLICA = 1, OBUF_PUBSUB = 2, OBUF_CLASSES = 3 };

/* Output block size: small replies share a block of this size. */
#define REPLY_BLOCK_SIZE (16 * 1024)

typedef struct reply_block {
    struct reply_block *next;
    size_t used, size;
    int deferred;          /* an empty placeholder for a deferred length */
    char buf[];
} reply_block;

typedef struct client {
    /* --- what handlers use --- */
    int argc;
    resp_arg *argv;
    struct db *db;
    int dbid;
    int resp;                       /* 2 or 3 */
    uint64_t id;
    uint32_t flags;
    const struct command *cmd;      /* the running command */

    /* --- the server's own --- */
    int fd;
    int authenticated;
    struct acl_user *user;          /* authenticated as; NULL: the default user */
    char *name;                     /* CLIENT SETNAME, NULL if none */
    char addr[64], laddr[64];
    long long ctime_ms;             /* connected at (unix ms) */
    long long last_interaction_ms;
    const struct command *lastcmd;

    /* input */
    char *qbuf;
    size_t qlen, qcap, qpos;        /* qpos: first unparsed byte */
    size_t qbuf_peak;
    resp_request_parser parser;
    long long pause_since_ms;
    double cmd_tokens;              /* max-commands-per-second bucket (ratelimit.c) */
    long long cmd_refill_ms;

    /* output */
    reply_block *reply_head, *reply_tail;
    reply_block *spare;             /* one drained block kept for reuse */
    size_t reply_bytes;             /* queued, not yet sent */
    size_t sent_in_head;            /* bytes of reply_head already written */
    size_t reply_blocks;
    long long obuf_soft_since_ms;   /* soft limit exceeded since, 0 if not */
    int error_replied;              /* the running command replied an error */

    /* list links: all clients, pending writes, paused */
    struct client *prev, *next;
    dict_node id_node;              /* in client.c's id index */
    struct client *pending_next;
    struct client *paused_next;
    struct client *held_next;
    uint64_t wait_lsn;              /* output may leave once the log acknowledged this LSN */
    long long net_in_bytes, net_out_bytes, commands_processed;
    void *blocked;                  /* blocking.c's state while CLIENT_BLOCKED */
    struct multi_state *multi;      /* multi.c's queue and watches, NULL if none */
    void *pubsub;                   /* pubsub.c's subscriptions, NULL when none */
    void *tracking;                 /* tracking.c's state, NULL when tracking is off */
    struct tls_conn *tls;           /* tls.c's session; NULL on plain connections */
} client;

/* How a connection came in: client_create()'s kind. */
enum { CONN_TCP = 0, CONN_UNIX = 1, CONN_TLS = 2 };

/* Creates a client for an accepted fd and registers it with the loop.
 * Returns NULL (and closes fd) when maxclients is reached, after sending
 * the error. */
client *client_create(int fd, int kind);
void client_free(client *c);
/* A client with no connection, not listed anywhere, whose replies are
 * dropped: the server runs commands through it (log replay). It never
 * blocks. */
client *client_create_internal(void);
void client_free_internal(client *c);
/* Moves the output collected on a CLIENT_SCRIPT client into out. */
struct resp_buf;
void client_drain_replies(client *c, struct resp_buf *out);
/* Marks the client to be freed in the next before-sleep. */
void client_close_async(client *c);
/* Queues the client for writing in before-sleep (called by the reply API). */
void client_request_write(client *c);
/* Before-sleep: writes pending output, frees clients closed async,
 * resumes clients whose pause ended. observed_lsn is the last log frame
 * sealed: output produced in this iteration may have observed its writes,
 * so it is held until the log acknowledges that LSN; acked_lsn is what the
 * log has acknowledged now (the caller reads both from the log, so the
 * core needs no knowledge of it; without a log both are 0). Output held
 * earlier is released as acked_lsn catches up. */
void client_before_sleep(uint64_t observed_lsn, uint64_t acked_lsn);
/* Periodic checks: idle timeout, soft output limits, query buffer shrink. */
void client_cron(void);
/* Closes every client (shutdown). */
void client_free_all(void);

size_t client_count(void);
size_t client_blocked_count(void);
uint64_t client_next_id(void);
client *client_by_id(uint64_t id);
/* Iterate all clients (CLIENT LIST, KILL, INFO). Safe against freeing the current. */
void client_foreach(void (*fn)(client *c, void *arg), void *arg);
/* One CLIENT LIST / CLIENT INFO line (no trailing newline); caller frees. */
char *client_info_line(client *c);
/* Output buffer bytes, as counted against the limits. */
size_t client_output_bytes(const client *c);
int client_obuf_class(const client *c);
/* Selects database id; 0 or -1 if out of range. */
int client_select(client *c, int id);

/* CLIENT PAUSE state. */
enum { PAUSE_OFF = 0, PAUSE_WRITE = 1, PAUSE_ALL = 2 };
void client_pause(int mode, long long until_ms);
void client_unpause(void);
int client_pause_mode(void);

/* Parks a client whose next command must wait for CLIENT UNPAUSE. */
void client_park_paused(client *c);
/* Turns c into a monitor; -1 when too many monitors. */
int client_add_monitor(client *c);
void client_remove_monitor(client *c);
/* Enforces output-buffer limits; marks the client for closing when over. */
void client_check_obuf_limits(client *c);

/* MONITOR feed: sent to every monitor before a command executes. */
void client_feed_monitors(client *c, int argc, const resp_arg *argv);

/* For blocking.c: the command at the head of the query buffer (the one a
 * blocked client waits in) is run again, dropped, or the input after it
 * processed. */
int client_rerun_current_command(client *c);
void client_skip_current_command(client *c);
void client_resume_input(client *c);

/* Called by the listener when a connection arrives; kind: CONN_*. */
void client_accept_handler(int listen_fd, int kind);
/* The loop callback of every client fd (tls.c re-registers it). */
void client_on_event(struct loop *l, int fd, void *data, int mask);

#endif
