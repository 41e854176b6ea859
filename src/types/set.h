/*
 * set.h - read access to set values for other command families.
 *
 * The set commands themselves are registered by set_register() (types.h);
 * this header only lets SORT (types/sort.c) read a set's members without
 * knowing its encoding (intset or hashtable).
 */
#ifndef PAIRDB_SET_H
#define PAIRDB_SET_H

#include <stddef.h>

#include "server/kv.h"

/* Number of members of a set value (e->type == TYPE_SET). */
size_t set_size(const kv *e);
/* Calls fn once per member with its bytes (integers of an intset as their
 * decimal text). The bytes are valid only during the call; fn must not
 * modify the set. */
void set_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg);

#endif
