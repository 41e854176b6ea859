/*
 * db.h - the keyspace: numbered databases of kv entries, expiry, lookup.
 *
 * Each database is partitioned by hash slot (CRC16 of the key or of its
 * {hash tag}, mod 16384) as Redis Cluster partitions keys: an array of
 * per-slot tables allocated lazily, per-slot key counts kept in a Fenwick
 * tree so a random key or the n-th key is found in O(log slots). A single
 * node uses all slots; cluster mode, slot migration and per-thread slot
 * ownership later need no change of representation. SCAN cursors carry the
 * slot in their low 14 bits.
 *
 * Expiry: keys with a TTL are also in the database's expires table, which
 * maps the entry to its absolute expire time in ms. Lookups delete expired
 * keys lazily; db_active_expire() samples the expires table from a timer.
 *
 * Every write goes through db_add/db_set/db_delete/db_set_expire so that
 * key counts, the expires table and the "key modified" hooks stay right.
 * Callers then call db_touch_key() (Redis's signalModifiedKey) and
 * db_notify() for keyspace events.
 */
#ifndef PAIRDB_DB_H
#define PAIRDB_DB_H

#include <stdint.h>

#include "server/kv.h"

#define DB_SLOTS 16384
#define DB_MAX_COUNT 64

typedef struct db db;

/* Lookup flags. */
enum {
    LOOKUP_NONE = 0,
    LOOKUP_NOTOUCH = 1 << 0,   /* leave LRU/LFU alone (TYPE, OBJECT, CLIENT NO-TOUCH) */
    LOOKUP_NOSTATS = 1 << 1,   /* don't count keyspace hits/misses */
    LOOKUP_NOEXPIRE = 1 << 2,  /* return expired keys instead of deleting them */
};

/* Creates `count` databases (the `databases` config). Called once. */
void db_init_all(int count);
void db_free_all(void);
int db_count(void);
db *db_get(int id);
int db_id(const db *d);

uint16_t db_key_slot(const char *key, size_t klen);

/* Finds a live key: expired keys are deleted (and counted) unless
 * LOOKUP_NOEXPIRE; hits/misses counted unless LOOKUP_NOSTATS; the access
 * clock updated unless LOOKUP_NOTOUCH. NULL when absent. */
kv *db_lookup(db *d, const char *key, size_t klen, int flags);
/* Adds a new entry; the key must be absent (check with db_lookup first). */
void db_add(db *d, kv *e);
/* Adds or replaces. With keep_ttl the old entry's expire moves to the new
 * one; otherwise any expire is dropped. The old value is freed. */
void db_set(db *d, kv *e, int keep_ttl);
/* Removes and frees a key; 1 if it existed (expired or not). */
int db_delete(db *d, const char *key, size_t klen);
/* DEL's delete: one lookup; a key whose time has come is expired (counted,
 * notified) instead and 0 returned, so only live keys count as deleted. */
int db_delete_live(db *d, const char *key, size_t klen);
/* Removes the entry from the database without freeing it; returns it, or NULL. */
kv *db_unlink(db *d, const char *key, size_t klen);

/* Expiry. Times are absolute unix ms. */
void db_set_expire(db *d, kv *e, long long when_ms);
long long db_get_expire(db *d, const kv *e);   /* -1 when none */
int db_persist(db *d, kv *e);                  /* 1 if an expire was removed */
/* Deletes a key whose time has come: counts it, notifies "expired". */
void db_expire_now(db *d, kv *e);

size_t db_size(const db *d);
size_t db_expires_count(const db *d);
long long db_avg_ttl(const db *d);
/* Bytes of the keyspace's own tables (hash tables, slot index), not of
 * the keys and values: INFO used_memory_overhead. */
size_t db_overhead_bytes(const db *d);
/* Deletes every key; returns how many were deleted. */
size_t db_empty(db *d);
/* Exchanges the contents of two databases (SWAPDB). */
void db_swap(int a, int b);
/* A random live key, or NULL when empty (expired keys met are deleted). */
kv *db_random(db *d);
/* Incremental iteration for SCAN/KEYS. Cursor 0 starts; returns next, 0 at end. */
typedef void db_scan_cb(kv *e, void *arg);
uint64_t db_scan(db *d, uint64_t cursor, db_scan_cb *fn, void *arg);
/* Samples up to count entries from the main (volatile=0) or expires (1) table. */
size_t db_sample(db *d, int volatile_only, kv **out, size_t count);
/* Per-slot key count (CLUSTER COUNTKEYSINSLOT later). */
size_t db_slot_count(const db *d, int slot);

/* Active expiry: bounded effort, called from the server timer. */
void db_active_expire_cycle(long long time_limit_us);
/* Loading: no key expires, lazily or actively, until this is turned off. */
void db_suspend_expiry(int on);
/* Incremental rehash of slot tables: bounded effort. */
void db_rehash_step(long long time_limit_us);

/* Keyspace event classes (the letters of notify-keyspace-events). */
enum {
    NOTIFY_KEYSPACE = 1 << 0,  /* K */
    NOTIFY_KEYEVENT = 1 << 1,  /* E */
    NOTIFY_GENERIC = 1 << 2,   /* g */
    NOTIFY_STRING = 1 << 3,    /* $ */
    NOTIFY_LIST = 1 << 4,      /* l */
    NOTIFY_SET = 1 << 5,       /* s */
    NOTIFY_HASH = 1 << 6,      /* h */
    NOTIFY_ZSET = 1 << 7,      /* z */
    NOTIFY_EXPIRED = 1 << 8,   /* x */
    NOTIFY_EVICTED = 1 << 9,   /* e */
    NOTIFY_STREAM = 1 << 10,   /* t */
    NOTIFY_KEY_MISS = 1 << 11, /* m */
    NOTIFY_LOADED = 1 << 12,   /* module only */
    NOTIFY_MODULE = 1 << 13,   /* d */
    NOTIFY_NEW = 1 << 14,      /* n */
};

/* Hooks a write command calls after changing a key. */
void db_touch_key(db *d, const char *key, size_t klen);
/* Keyspace event; class is one of the NOTIFY_* letters' bits (notify.h later). */
void db_notify(int event_class, const char *event, db *d, const char *key, size_t klen);

/* Access clock for LRU/LFU (kv.lru). */
uint32_t db_lru_clock(void);
/* Re-reads the time the LRU/LFU clocks show (the server cron). */
void db_refresh_lru_clock(void);
void db_touch_entry(kv *e);   /* update LRU or LFU counter per maxmemory-policy */

#endif
