/*
 * handler.h - what a command handler needs, and nothing more.
 *
 * Type files (src/types/) and the server's command files include this one
 * header: the client's current command (argc/argv), the keyspace, the
 * reply API, the command table and small argument helpers.
 */
#ifndef PAIRDB_HANDLER_H
#define PAIRDB_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/db.h"
#include "server/kv.h"
#include "server/reply.h"

/* Lookups on the client's current database, honouring CLIENT NO-TOUCH. */
kv *lookup_read(client *c, const resp_arg *key);
kv *lookup_write(client *c, const resp_arg *key);
/* Like lookup_read but replies the error (WRONGTYPE) and returns NULL with
 * *wrongtype=1 when the key exists with another type. */
kv *lookup_read_type(client *c, const resp_arg *key, int type, int *wrongtype);
/* The same for writes (no hit/miss counting). */
kv *lookup_write_type(client *c, const resp_arg *key, int type, int *wrongtype);

/* Case-insensitive comparison of an argument with a keyword. */
int arg_is(const resp_arg *a, const char *keyword);
/* Integer/float argument parsing; on failure they reply the Redis error
 * (ERR value is not an integer or out of range / not a valid float) and
 * return -1. */
int arg_ll(client *c, const resp_arg *a, long long *out);
int arg_ll_range(client *c, const resp_arg *a, long long min, long long max, long long *out,
                 const char *msg);   /* msg: error text on range failure, NULL = not-int error */
int arg_ld(client *c, const resp_arg *a, long double *out);
int arg_double(client *c, const resp_arg *a, double *out);

/* Redis's rank ranges (LRANGE, LTRIM, ZRANGE...): negative indexes count
 * from the end, then both are clamped to [0, len-1]. Returns 0 when the
 * range is empty, else 1 with *start <= *end inside the sequence. */
int rank_range(long long *start, long long *end, long long len);

/* Marks a write for statistics, persistence and WATCH (Redis: server.dirty++
 * plus signalModifiedKey). Call once per key changed. */
void key_modified(client *c, const char *key, size_t klen);
/* Adds n to the dirty counter without a key (FLUSHALL...). */
void server_dirty_add(long long n);
long long server_dirty(void);

#endif
