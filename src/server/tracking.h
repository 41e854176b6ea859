/*
 * tracking.h - client-side caching (CLIENT TRACKING), as Redis 7.0.
 *
 * Default mode: the keys a tracking client reads are remembered in one
 * table, key name -> ids of the clients that read it (key names only, all
 * databases share it). A write to a remembered key sends each of those
 * clients one invalidation and forgets the key. BCAST mode keeps no table:
 * every written key that starts with one of the client's prefixes is
 * collected per prefix and announced in before-sleep.
 *
 * Delivery: a RESP3 client (or RESP3 redirect target) gets the push
 * `>2 invalidate [keys]`; a RESP2 redirect target in pub/sub mode gets a
 * `message` on __redis__:invalidate. A flush sends a null instead of keys.
 *
 * Ordering: invalidations go straight into the other clients' output, so
 * they precede any later reply that could see the new value. A client that
 * invalidates its own keys gets them after its reply (queued while its
 * command runs, sent by tracking_command_end).
 */
#ifndef PAIRDB_TRACKING_H
#define PAIRDB_TRACKING_H

#include <stddef.h>

#include "proto/resp.h"

struct client;
struct command;

/* Dispatcher hooks around a command's handler. begin trims the table to
 * tracking-table-max-keys; end remembers a read command's keys, sends
 * the client its own queued invalidations and ends a CLIENT CACHING. */
void tracking_command_begin(struct client *c);
void tracking_command_end(struct client *c, const struct command *cmd);
/* Remembers the keys of a read command run by c (for EXEC's commands). */
void tracking_remember_keys(struct client *c, const struct command *cmd, int argc,
                            const resp_arg *argv);

/* A key was modified (write, expiry, eviction): db_touch_key calls this. */
void tracking_key_modified(const char *key, size_t klen);
/* FLUSHDB / FLUSHALL: every tracking client gets the null invalidation. */
void tracking_flush(void);
/* Sends the BCAST invalidations collected since the last call. */
void tracking_before_sleep(void);
/* The client closes or RESETs: tracking is switched off. */
void tracking_client_gone(struct client *c);

/* CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO. */
void tracking_client_tracking_command(struct client *c);
void tracking_client_caching_command(struct client *c);
void tracking_client_getredir_command(struct client *c);
void tracking_client_trackinginfo_command(struct client *c);

/* INFO. */
size_t tracking_client_count(void);
size_t tracking_key_count(void);
size_t tracking_item_count(void);
size_t tracking_prefix_count(void);

void tracking_free_all(void);

#endif
