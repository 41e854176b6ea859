/*
 * hash.h - what other command families may ask of a hash value.
 *
 * The hash commands themselves are registered by hash_register()
 * (types/types.h); this header is for readers outside hash.c, such as
 * SORT's BY/GET patterns (types/sort.c).
 */
#ifndef PAIRDB_HASH_H
#define PAIRDB_HASH_H

#include <stddef.h>

#include "ds/listpack.h"
#include "server/kv.h"

/* Looks up field f in the hash e (e->type must be TYPE_HASH). Returns 1 and
 * sets *v and *vlen when found, else 0. An integer stored in the compact
 * encoding is written as text into buf, so *v may point into buf; otherwise
 * it points into the value and is valid until the next keyspace write. */
int hash_get_field(const kv *e, const char *f, size_t flen, const char **v, size_t *vlen,
                   char buf[LP_INTBUF]);

#endif
