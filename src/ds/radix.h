/*
 * radix.h - an ordered map from byte strings to pointers, stored as a
 * compressed radix tree (a trie whose single-child chains are merged into
 * one node holding the shared bytes).
 *
 * Streams key it with 16-byte big-endian IDs (ms then seq), so byte order
 * is ID order: the entry nodes, the pending-entries lists. Consumer groups
 * and consumers are keyed by their names.
 *
 * Shape: a node has a prefix (bytes common to every key below it), an
 * optional value (the key ending exactly after the prefix) and children
 * sorted by the first byte of their remainder. Every node other than the
 * root either has a value or at least two children.
 *
 * Ordered access goes through radix_seek(): find the first key >=, >, <=
 * or < a given one, or the first or last key. Each seek walks from the
 * root, so an iterator holds only its current key, and the tree may be
 * changed between steps (the next seek starts from the current key).
 *
 * Invariants: size() equals the number of keys with a value; no key is
 * longer than RADIX_MAX_KEY (callers bound what they insert).
 */
#ifndef PAIRDB_RADIX_H
#define PAIRDB_RADIX_H

#include <stddef.h>

/* Longest key accepted by radix_insert (consumer and group names are the
 * longest keys streams use). */
#define RADIX_MAX_KEY (1u << 20)

typedef struct radix radix;

radix *radix_new(void);
/* Frees the tree; free_value (may be NULL) is called on every value. */
void radix_free(radix *t, void (*free_value)(void *));
size_t radix_size(const radix *t);
/* Bytes the tree's nodes take (not the values). */
size_t radix_mem(const radix *t);
/* Nodes of the tree (XINFO STREAM's radix-tree-nodes). */
size_t radix_nodes(const radix *t);

/* Inserts or replaces. Returns 1 when the key is new, 0 when it replaced a
 * value (the old one in *old when old is not NULL), -1 if the key is too
 * long. */
int radix_insert(radix *t, const void *key, size_t len, void *value, void **old);
/* 1 and *value set when present, else 0. */
int radix_find(const radix *t, const void *key, size_t len, void **value);
/* 1 (old value in *old) when removed, 0 when absent. */
int radix_remove(radix *t, const void *key, size_t len, void **old);

enum radix_op { RADIX_GE, RADIX_GT, RADIX_LE, RADIX_LT, RADIX_FIRST, RADIX_LAST };

typedef struct radix_iter {
    const radix *t;
    unsigned char *key; /* the current key, it->len bytes */
    size_t len, cap;
    void *value;
    unsigned char inline_key[32]; /* key storage until a longer key needs the heap */
} radix_iter;

/* An iterator must not be copied (its key may point into itself). */
void radix_iter_init(radix_iter *it, const radix *t);
void radix_iter_done(radix_iter *it);
/* Positions on the key that op selects relative to key/len (ignored for
 * FIRST and LAST). 1 when found (it->key, it->len, it->value set), else 0.
 * key may point at it->key. */
int radix_seek(radix_iter *it, enum radix_op op, const void *key, size_t len);
/* The key after / before the current one. */
int radix_next(radix_iter *it);
int radix_prev(radix_iter *it);

#endif
