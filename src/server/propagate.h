/*
 * propagate.h - the effects of writes, in the order they happened.
 *
 * The log records effects, not requests: replaying it must rebuild the same
 * data at any later time, whatever the clock, the random generator or the
 * hash seed say then. So:
 *
 *  - By default a write command that changed the dataset (the dirty counter
 *    moved during its call) is logged as it was received.
 *  - A command whose request is not deterministic or is relative (EXPIRE,
 *    SET EX, SPOP, INCRBYFLOAT, blocking pops...) logs explicit effects
 *    with propagate_effect(); the request itself is then not logged.
 *  - Keys that expire or are evicted are logged as DEL, at the moment they
 *    go (propagate_del), so the log never depends on the clock.
 *
 * The recorder lives in the core because the core emits effects (the
 * dispatcher, expiry, eviction); the log consumes them through a sink it
 * sets while it is open (propagate_set_sink). Nothing is recorded while no
 * sink is set (appendonly no, or the dataset is being loaded);
 * propagate_active() lets handlers skip building effects then.
 *
 * Later, replication ships the same effects.
 */
#ifndef PAIRDB_PROPAGATE_H
#define PAIRDB_PROPAGATE_H

#include <stddef.h>

#include "proto/resp.h"

struct client;
struct command;

/* Where effects go: one command against database dbid. */
typedef void (*propagate_sink)(int dbid, int argc, const resp_arg *argv);
/* Set by the log when it opens, NULL when it closes. */
void propagate_set_sink(propagate_sink sink);

/* 1 when effects are being recorded. */
int propagate_active(void);

/* Logs one effect command against database dbid, and marks the running
 * command as having logged its effects explicitly. */
void propagate_effect(int dbid, int argc, const resp_arg *argv);
/* A key that expired or was evicted: logged as DEL, not counted as the
 * running command's own effect. */
void propagate_del(int dbid, const char *key, size_t klen);
/* The running command changed nothing worth logging after all. */
void propagate_suppress(void);

/* For the dispatcher: around every command call. */
long long propagate_call_begin(void);
void propagate_call_end(struct client *c, const struct command *cmd, long long token);

#endif
