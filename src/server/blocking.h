/*
 * blocking.h - commands that wait for a key (BLPOP, BZPOPMIN, BLMOVE, ...).
 *
 * A blocking command that finds nothing to serve calls block_on_keys()
 * and returns without replying. The command stays in the client's query
 * buffer; when a write signals one of its keys ready (signal_key_ready),
 * the command runs again from the start, exactly as if it had just
 * arrived. If it can serve now it replies and the client is unblocked; if
 * not (another client took the element) it calls block_on_keys() again and
 * keeps its place in the queue. On timeout the client gets the command's
 * timeout reply and the command is dropped.
 *
 * Invariants:
 *  1. Clients blocked on a key are served in the order they blocked (FIFO).
 *  2. A blocked client runs no other command until it is unblocked.
 *  3. A key is retried only when it exists with the type the waiters want
 *     (a list for BLPOP...), as Redis 7.0 does.
 */
#ifndef PAIRDB_BLOCKING_H
#define PAIRDB_BLOCKING_H

#include "proto/resp.h"

struct client;
struct db;

/* What a timed-out client receives. */
enum { BLOCK_REPLY_NULL_ARRAY = 0, BLOCK_REPLY_NULL = 1 };

/* Parses a blocking timeout in seconds (fractional allowed) into an
 * absolute deadline in unix ms, 0 meaning forever. Replies Redis's error
 * ("timeout is not a float or out of range" / "timeout is negative") and
 * returns -1 when invalid. */
int block_parse_timeout(struct client *c, const resp_arg *arg, long long *deadline_ms);

/* 1 if the running command may block (not inside MULTI or a script). A
 * command that may not block replies its timeout reply at once instead. */
int block_allowed(struct client *c);

/* Blocks the running client on nkeys keys of its current database, waiting
 * for the key to exist with type key_type (TYPE_LIST, TYPE_ZSET, ...). */
void block_on_keys(struct client *c, const resp_arg *keys, int nkeys, int key_type,
                   long long deadline_ms, int timeout_reply);

/* Data a blocked command keeps across its retries, because the retry must
 * not compute it again (XREAD's "$" means the last ID when the command
 * first ran, not when it is retried). Set after block_on_keys(); freed
 * with free_fn when the client is unblocked. NULL when not blocked. */
void block_set_private(struct client *c, void *data, void (*free_fn)(void *));
void *block_private(struct client *c);

/* A write made key exist or grow (push, ZADD, RENAME/MOVE/COPY/RESTORE
 * onto it...): clients waiting on it are retried before the loop sleeps. */
void signal_key_ready(struct db *d, const char *key, size_t klen);
/* After SWAPDB / FLUSH: every waited-for key of d is checked again. */
void signal_db_ready(struct db *d);

/* Before-sleep: retries clients on keys signalled ready. */
void blocking_handle_ready(void);
/* Removes a client from every wait (client freed, RESET). */
void blocking_unblock(struct client *c);
/* CLIENT UNBLOCK: 1 if c was blocked. with_error: "-UNBLOCKED ..." instead
 * of the timeout reply. */
int blocking_unblock_by_request(struct client *c, int with_error);
size_t blocking_client_count(void);
/* A client is being freed: drop its waits and any pending resume. */
void blocking_forget_client(struct client *c);
/* Shutdown: frees the module's tables (clients are freed first). */
void blocking_free_all(void);

#endif
