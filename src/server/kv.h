/*
 * kv.h - keyspace entries: one allocation holds a key and its value.
 *
 * Layout of a kv, in one malloc block:
 *
 *   [dict_node next][type:4 enc:4 lru:24][keylen:30 expire:1][key bytes][value part]
 *
 * The value part depends on the encoding:
 *   ENC_INT     8 bytes, the integer (unaligned, accessed with memcpy)
 *   ENC_EMBSTR  1 length byte (<= KV_EMBSTR_MAX), the bytes, a NUL
 *   otherwise   8 bytes, a pointer to the value's own structure
 *               (a dstr for ENC_RAW strings, a type's structure for the others)
 *
 * Embedding keys and small values in the entry is what keeps a small string
 * key at one allocation (Redis needs three: dictEntry, key sds, robj).
 *
 * Invariants:
 *  1. A kv pointer is valid only until the next write to the keyspace:
 *     changing a value's encoding makes a new kv (db_set replaces it).
 *  2. `expire` is set iff the database's expires table holds this kv.
 *  3. lru holds the LRU clock (seconds) or, under an LFU policy, 16 bits of
 *     minutes and an 8-bit logarithmic counter.
 */
#ifndef PAIRDB_KV_H
#define PAIRDB_KV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ds/dict.h"

struct dstr;

/* Type and encoding numbers follow Redis so that OBJECT and TYPE read alike. */
enum kv_type {
    TYPE_STRING = 0,
    TYPE_LIST = 1,
    TYPE_SET = 2,
    TYPE_ZSET = 3,
    TYPE_HASH = 4,
    TYPE_STREAM = 6,
    TYPE_COUNT = 16,
};

enum kv_encoding {
    ENC_RAW = 0,
    ENC_INT = 1,
    ENC_HASHTABLE = 2,
    ENC_INTSET = 6,
    ENC_SKIPLIST = 7,
    ENC_EMBSTR = 8,
    ENC_QUICKLIST = 9,
    ENC_STREAM = 10,
    ENC_LISTPACK = 11,
};

/* Longest string stored inside the entry; Redis reports "embstr" up to 44. */
#define KV_EMBSTR_MAX 44
/* Longest decimal text kept as ENC_INT (Redis: fits a long long, <= 20 chars). */
#define KV_INT_MAX_DIGITS 20

typedef struct kv {
    dict_node node;
    uint32_t type : 4;
    uint32_t enc : 4;
    uint32_t lru : 24;
    uint32_t keylen : 30;
    uint32_t expire : 1;
    uint32_t spare : 1;
    char data[];
} kv;

/* Per-type behaviour for values stored by pointer. Types register theirs
 * at startup with kv_register_type(); strings are built in. Each callback
 * gets the value's encoding (ENC_*), so a type need not mark it in the
 * pointer; dup's copy keeps that encoding. */
typedef struct kv_type_ops {
    const char *name;                             /* TYPE reply: "list", "hash", ... */
    void (*free)(void *ptr, int enc);             /* frees the value */
    void *(*dup)(const void *ptr, int enc);       /* deep copy (COPY) */
    size_t (*mem_usage)(const void *ptr, int enc); /* bytes held (MEMORY USAGE, eviction) */
} kv_type_ops;

void kv_register_type(int type, const kv_type_ops *ops);
const char *kv_type_name(int type);   /* "string", "list", ..., "none" for unknown */
const char *kv_encoding_name(int enc);

static inline const char *kv_key(const kv *e) {
    return e->data;
}
static inline size_t kv_keylen(const kv *e) {
    return e->keylen;
}

/* --- construction (the returned kv is not in any database yet) --- */

/* A string value; picks ENC_INT, ENC_EMBSTR or ENC_RAW as Redis would. */
kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen);
kv *kv_new_int(const char *key, size_t klen, long long v);
/* A string kept as text even when it reads as an integer (embstr or raw):
 * Redis stores INCRBYFLOAT results this way. */
kv *kv_new_string_text(const char *key, size_t klen, const char *val, size_t vlen);
/* A string stored as ENC_RAW no matter its size (APPEND, SETRANGE results). */
kv *kv_new_raw(const char *key, size_t klen, struct dstr *val_take);
/* A value of another type stored by pointer; the kv owns ptr from now on. */
kv *kv_new_ptr(const char *key, size_t klen, int type, int enc, void *ptr_take);
/* Same value under another key (RENAME/MOVE keep the value, not the entry). */
kv *kv_rekey(const kv *e, const char *key, size_t klen);
/* Deep copy under a key (COPY). */
kv *kv_dup(const kv *e, const char *key, size_t klen);
/* Frees the entry and its value. */
void kv_free(kv *e);
/* Frees the entry but not the value (after kv_rekey moved the pointer). */
void kv_free_shell(kv *e);

/* --- value access --- */

long long kv_int(const kv *e);
/* Overwrites an ENC_INT value in place (INCR on a counter: no allocation). */
void kv_set_int(kv *e, long long v);
void *kv_ptr(const kv *e);
/* Replaces the pointer of a by-pointer value in place (the old one is not freed). */
void kv_set_ptr(kv *e, void *ptr);
/* Changes the encoding of a by-pointer value in place (e.g. listpack -> hashtable). */
static inline void kv_set_encoding(kv *e, int enc) {
    e->enc = (unsigned)enc;
}

/* Bytes of a string value. ENC_INT is formatted into buf (>= 24 bytes).
 * The result is valid while the kv is. Caller checks type == TYPE_STRING. */
const char *kv_str(const kv *e, char *buf, size_t *len);
size_t kv_strlen(const kv *e);

/* Bytes the entry and its value hold (MEMORY USAGE, DEBUG OBJECT). */
size_t kv_mem_usage(const kv *e);

#endif
