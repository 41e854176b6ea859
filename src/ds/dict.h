/*
 * dict.h - intrusive chained hash table with incremental rehashing.
 *
 * The table stores pointers to dict_node links embedded in the caller's own
 * structs (usually as the first member; container_of otherwise). Keys are
 * byte strings living inside those structs, reached through ops->key, so an
 * entry costs one allocation and the table one pointer per bucket.
 *
 * Hashes are seeded SipHash-1-3 (dict_hash, or dict_hash_nocase when
 * ops->nocase). The caller computes the hash of a key once and passes it to
 * find/insert/remove/replace; it must be the hash of that key.
 *
 * Sizing: bucket counts are powers of two, at least DICT_MIN_BUCKETS. The
 * table grows x2 when size >= buckets and shrinks when size < buckets / 8.
 * A resize allocates a second table and moves one bucket per find, insert
 * and remove (plus dict_rehash_for from a timer) until the first is empty;
 * meanwhile lookups search both tables and inserts go to the new one.
 *
 * Pausing: while a dict_iter lives (and during a dict_scan callback) no node
 * changes bucket and no bucket array is freed; inserts and removes still
 * work, and a resize may start but does not progress.
 *
 * Not thread-safe. Callers: the keyspace (keys, expires), the command table,
 * the hash/set/zset types, pub/sub channels.
 */
#ifndef PAIRDB_DICT_H
#define PAIRDB_DICT_H

#include <stddef.h>
#include <stdint.h>

#define DICT_MIN_BUCKETS 4

typedef struct dict_node {
    struct dict_node *next;
} dict_node;

typedef struct dict_ops {
    /* Key bytes of a node (required); *len receives the length. */
    const char *(*key)(const dict_node *n, size_t *len);
    int nocase; /* keys compared and hashed case-insensitively (ASCII) */
} dict_ops;

/* Public so it can be embedded; fields are read-only outside dict.c. */
typedef struct dict {
    dict_node **table[2]; /* table[1] exists only while rehashing */
    size_t nbuckets[2];   /* power of two; 0 when the table is absent */
    size_t used[2];       /* nodes in each table */
    const dict_ops *ops;
    size_t size;       /* used[0] + used[1] */
    size_t rehash_idx; /* next table[0] bucket to move while rehashing */
    int pause;         /* live safe iterators and scans: no bucket moves */
} dict;

typedef struct dict_iter {
    dict *d;
    dict_node *next; /* next node of the current bucket, saved in advance */
    size_t idx;      /* next bucket to load */
    int table;       /* 0, 1, or 2 when done */
} dict_iter;

/* Sets the SipHash key; call once at startup, before any dict holds nodes. */
void dict_set_hash_seed(const uint8_t seed[16]);
/* Seeded SipHash-1-3 of the key, and of its ASCII-lowercased form. */
uint64_t dict_hash(const char *key, size_t len);
uint64_t dict_hash_nocase(const char *key, size_t len);
/* The hash d uses for key: dict_hash or dict_hash_nocase per d->ops. */
static inline uint64_t dict_hash_for(const dict *d, const char *key, size_t len) {
    return d->ops->nocase ? dict_hash_nocase(key, len) : dict_hash(key, len);
}

/* Empty dict; allocates nothing until the first insert. */
void dict_init(dict *d, const dict_ops *ops);
/* Unlinks every node, calling free_node(n, arg) on each if given, frees the
 * bucket arrays and leaves an empty usable dict. Not while iterating. */
void dict_clear(dict *d, void (*free_node)(dict_node *n, void *arg), void *arg);
static inline size_t dict_size(const dict *d) {
    return d->size;
}

/* Node whose key equals key[0..len), or NULL. h = dict_hash_for(d, key, len). */
dict_node *dict_find(dict *d, const char *key, size_t len, uint64_t h);
/* Links n, whose key hashes to h. The caller guarantees the key is absent. */
void dict_insert(dict *d, dict_node *n, uint64_t h);
/* Unlinks and returns the node with that key, or NULL if absent. The caller
 * owns the returned node. */
dict_node *dict_remove(dict *d, const char *key, size_t len, uint64_t h);
/* Puts repl (same key as old, hash h) in old's place. old is compared by
 * address and never dereferenced, so it may be the stale pointer of an entry
 * just moved by realloc; repl->next must hold old's link, which it does when
 * repl is a realloc or memcpy of old's struct (copy old->next otherwise).
 * Returns 0, or -1 if old is not linked in d (nothing changed). */
int dict_replace_node(dict *d, dict_node *old, dict_node *repl, uint64_t h);

/* Stateless cursor scan (reverse-binary cursor): start with 0, pass back
 * each returned cursor, stop when it returns 0. Every node present for the
 * whole scan is passed to fn at least once even if the table grows, shrinks
 * or rehashes between calls; some may be passed more than once. fn may
 * unlink the node it is given; nodes it inserts may or may not be seen. */
uint64_t dict_scan(dict *d, uint64_t cursor, void (*fn)(dict_node *n, void *arg), void *arg);
/* A random node, close to uniformly chosen; NULL if empty. */
dict_node *dict_random(dict *d);
/* Up to count nodes from a random region of the table, for eviction and
 * expiry sampling; usually distinct. Returns how many were stored in out. */
size_t dict_sample(dict *d, dict_node **out, size_t count);

/* Safe iteration: pauses rehashing until dict_iter_done. The node last
 * returned may be removed or replaced; other nodes must not be removed.
 * Nodes inserted meanwhile may or may not be returned. Every node present
 * throughout is returned exactly once. */
void dict_iter_init(dict *d, dict_iter *it);
dict_node *dict_iter_next(dict_iter *it);
void dict_iter_done(dict_iter *it);

/* Moves buckets for about usec microseconds. Returns 1 if rehashing is still
 * in progress (or paused), 0 if not rehashing. */
int dict_rehash_for(dict *d, long long usec);
int dict_is_rehashing(const dict *d);
/* Bucket slots of both tables, and the bytes of their arrays (INFO/MEMORY). */
size_t dict_buckets(const dict *d);
size_t dict_overhead_bytes(const dict *d);

#endif
