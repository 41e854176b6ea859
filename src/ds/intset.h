/*
 * intset.h - a sorted set of 64-bit integers in one buffer.
 *
 * The "intset" encoding of sets whose members are all integers. Elements
 * are kept sorted and unique at the narrowest width (16, 32 or 64 bits)
 * that holds every one of them; adding a wider value upgrades the whole
 * array once. Lookups are binary searches.
 *
 * One allocation, which is also the DUMP blob:
 *
 *   [width u32: 2, 4 or 8][length u32][element * length]
 *
 * all little-endian. Calls that change the set may move it and return the
 * new pointer; the old one is invalid afterwards.
 *
 * Callers: the set type (members, SINTERCARD..., DUMP/RESTORE).
 */
#ifndef PAIRDB_INTSET_H
#define PAIRDB_INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset intset;

intset *intset_new(void);
void intset_free(intset *is);
intset *intset_dup(const intset *is);

/* Adds v; *added (may be NULL) is 1 when it was not present yet. */
intset *intset_add(intset *is, int64_t v, int *added);
/* Removes v; *removed (may be NULL) is 1 when it was present. */
intset *intset_remove(intset *is, int64_t v, int *removed);
/* 1 when v is a member. */
int intset_find(const intset *is, int64_t v);
uint32_t intset_len(const intset *is);
/* Element at idx in ascending order; 0 when idx is out of range. */
int intset_get(const intset *is, uint32_t idx, int64_t *v);
/* A uniformly chosen member (random()); the set must not be empty. */
int64_t intset_random(const intset *is);
/* Smallest and largest members; the set must not be empty. */
int64_t intset_min(const intset *is);
int64_t intset_max(const intset *is);

/* The serialized form is the buffer itself: intset_blob_len bytes at
 * intset_blob. */
size_t intset_blob_len(const intset *is);
const unsigned char *intset_blob(const intset *is);
/* Checks a blob from an untrusted source (RESTORE): width, length against
 * size, strictly ascending elements. 1 if valid. */
int intset_validate(const unsigned char *buf, size_t size);
/* A copy of a blob intset_validate accepted; NULL when it is invalid. */
intset *intset_from_blob(const unsigned char *buf, size_t size);

#endif
