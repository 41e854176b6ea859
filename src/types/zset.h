/*
 * zset.h - what other command families may ask of a sorted set.
 *
 * SORT reads sorted sets through these; everything else about the type
 * stays inside types/zset.c. The entry must be of TYPE_ZSET.
 */
#ifndef PAIRDB_ZSET_H
#define PAIRDB_ZSET_H

#include <stddef.h>

#include "server/kv.h"

/* Number of members. */
size_t zset_size(const kv *e);
/* Calls fn on each member in ascending score order. fn must not change the key. */
void zset_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg);

/* Converts a listpack-encoded sorted set to the skiplist encoding in place
 * (SORT does this first, as Redis 7.0 reads sorted sets through the
 * skiplist there, and OBJECT ENCODING shows it). */
void zset_to_skiplist(kv *e);

#endif
