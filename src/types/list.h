/*
 * list.h - what other command families may do with list values.
 *
 * SORT reads lists and builds its STORE result through these; everything
 * else about lists (commands, encoding, DUMP codec) stays in list.c.
 */
#ifndef PAIRDB_LIST_H
#define PAIRDB_LIST_H

#include <stddef.h>

#include "server/kv.h"

/* Number of elements of a list entry (e->type == TYPE_LIST). */
size_t list_length(const kv *e);
/* Calls fn on every element, head to tail. s is valid only during the call.
 * fn must not change the list. */
void list_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg);
/* A new, empty list entry under key, not in any database: fill it with
 * list_push_tail() and db_set() it (an empty list must not be stored). */
kv *list_new_from(const char *key, size_t klen);
void list_push_tail(kv *e, const char *s, size_t len);

#endif
