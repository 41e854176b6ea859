/*
 * multi.h - transactions: MULTI EXEC DISCARD WATCH UNWATCH.
 *
 * Inside MULTI the dispatcher does every usual check on a command and,
 * instead of running it, hands it to multi_queue() (reply +QUEUED). A
 * command refused while queuing marks the transaction failed
 * (multi_flag_error), so EXEC answers -EXECABORT. EXEC runs the queued
 * commands one after the other through exec_call(), so each is logged,
 * counted and shown to monitors as if it were sent alone; CLIENT_MULTI stays
 * set meanwhile, so blocking commands time out at once.
 *
 * WATCH: a global index maps (database, key) to the clients watching it;
 * db_touch_key() (every write, expiry, eviction) and db_empty()/db_swap()
 * (FLUSHDB, FLUSHALL, SWAPDB) mark those clients' transactions to fail
 * with a null array. A watched key found expired at EXEC fails it too, as
 * in Redis 7.0, unless it was already expired when it was watched.
 */
#ifndef PAIRDB_MULTI_H
#define PAIRDB_MULTI_H

#include <stddef.h>
#include <stdint.h>

struct client;
struct command;
struct db;

void multi_register(void);

/* For the dispatcher. */
/* 1 when c is in MULTI and cmd is to be queued rather than run (all but
 * EXEC, DISCARD, MULTI, WATCH, QUIT and RESET). */
int multi_should_queue(const struct client *c, const struct command *cmd);
/* Queues c->argv for EXEC and replies +QUEUED. */
void multi_queue(struct client *c, struct command *cmd);
/* A command refused inside MULTI: EXEC will abort. No-op outside MULTI. */
void multi_flag_error(struct client *c);
/* EXEC refused by a dispatcher check: discards the transaction and replies
 * -EXECABORT with the reason. Returns 0 (nothing done) if cmd is not EXEC. */
int multi_abort_exec(struct client *c, const struct command *cmd, const char *err);
/* The flags EXEC is checked with: its own plus those of every queued
 * command (a transaction of writes is a write). */
uint32_t multi_effective_flags(const struct client *c, const struct command *cmd);
/* Queued commands, or -1 outside MULTI (CLIENT LIST). */
int multi_queued_count(const struct client *c);

/* Drops the transaction and every watch (RESET, client free). */
void multi_client_reset(struct client *c);

/* Keyspace hooks (db.c). */
void multi_touch_key(struct db *d, const char *key, size_t klen);
/* Before emptied's contents go (FLUSHDB, FLUSHALL) or are exchanged with
 * replaced_with's (SWAPDB, then called for both sides). */
void multi_touch_db(struct db *emptied, struct db *replaced_with);

#endif
